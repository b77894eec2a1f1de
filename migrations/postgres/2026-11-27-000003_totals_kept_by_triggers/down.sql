DROP TRIGGER inbox_counts_follow ON notifications;
DROP FUNCTION inbox_counts_follow();
DROP TABLE inbox_counts;
DROP TRIGGER comment_totals_follow ON comments;
DROP FUNCTION comment_totals_follow();
DROP TABLE comment_totals;
DROP TRIGGER event_total_follows ON events;
DROP FUNCTION event_total_follows();
DROP TABLE event_total;
