-- Where an event happens, every part optional; the coordinates both or neither.
ALTER TABLE events
    ADD COLUMN venue TEXT CHECK (char_length(venue) BETWEEN 1 AND 200),
    ADD COLUMN address TEXT CHECK (char_length(address) BETWEEN 1 AND 500),
    ADD COLUMN latitude DOUBLE PRECISION CHECK (latitude BETWEEN -90 AND 90),
    ADD COLUMN longitude DOUBLE PRECISION CHECK (longitude BETWEEN -180 AND 180),
    ADD COLUMN online_url TEXT CHECK (char_length(online_url) BETWEEN 1 AND 2000),
    ADD CONSTRAINT events_coordinates_together CHECK ((latitude IS NULL) = (longitude IS NULL));

-- One organiser's events in list order, for GET /users/{user_id}/events.
CREATE INDEX events_by_owner_time ON events (owner_id, event_time, id);
DROP INDEX events_by_owner;
