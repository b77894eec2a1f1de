CREATE INDEX events_by_owner ON events (owner_id);
DROP INDEX events_by_owner_time;
ALTER TABLE events DROP COLUMN online_url;
ALTER TABLE events DROP COLUMN longitude;
ALTER TABLE events DROP COLUMN latitude;
ALTER TABLE events DROP COLUMN address;
ALTER TABLE events DROP COLUMN venue;
