DROP TABLE event_ticket_totals;
DROP TABLE ticket_counts;
DROP TABLE tickets;
DROP FUNCTION event_ticket_totals_follow();
DROP FUNCTION ticket_counts_follow();
