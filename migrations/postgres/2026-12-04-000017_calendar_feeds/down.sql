DROP INDEX tickets_held_events;
DROP TABLE calendar_feeds;
ALTER TABLE removed_events DROP COLUMN changed_at;
ALTER TABLE removed_events DROP COLUMN revision;
ALTER TABLE events DROP COLUMN changed_at;
ALTER TABLE events DROP COLUMN revision;
