CREATE INDEX events_by_owner ON events (owner_id);
DROP INDEX events_by_owner_time;
ALTER TABLE events
    DROP CONSTRAINT events_coordinates_together,
    DROP COLUMN online_url,
    DROP COLUMN longitude,
    DROP COLUMN latitude,
    DROP COLUMN address,
    DROP COLUMN venue;
