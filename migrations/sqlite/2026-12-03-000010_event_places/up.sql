-- Where an event happens, every part optional; the coordinates both or neither.
ALTER TABLE events ADD COLUMN venue TEXT CHECK (length(venue) BETWEEN 1 AND 200);
ALTER TABLE events ADD COLUMN address TEXT CHECK (length(address) BETWEEN 1 AND 500);
ALTER TABLE events ADD COLUMN latitude REAL CHECK (latitude BETWEEN -90 AND 90);
ALTER TABLE events ADD COLUMN longitude REAL
    CHECK ((longitude BETWEEN -180 AND 180 AND latitude IS NOT NULL) OR (longitude IS NULL AND latitude IS NULL));
ALTER TABLE events ADD COLUMN online_url TEXT CHECK (length(online_url) BETWEEN 1 AND 2000);

-- One organiser's events in list order, for GET /users/{user_id}/events.
CREATE INDEX events_by_owner_time ON events (owner_id, event_time, id);
DROP INDEX events_by_owner;
