-- What a calendar needs to know of an event's changes: how many there were (its SEQUENCE) and when the
-- last one was (NULL: never changed since it was created). Kept on removed copies too, which keep every
-- column of an event.
ALTER TABLE events ADD COLUMN revision BIGINT NOT NULL DEFAULT 0 CHECK (revision >= 0);
ALTER TABLE events ADD COLUMN changed_at TIMESTAMP;
ALTER TABLE removed_events ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE removed_events ADD COLUMN changed_at TIMESTAMP;

-- One private calendar feed per person, known by the digest of the secret in its address. Making a new
-- one replaces the row; deleting the account deletes it.
CREATE TABLE calendar_feeds (
    user_id       BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_digest TEXT NOT NULL UNIQUE CHECK (length(secret_digest) = 64),
    created_at    TIMESTAMP NOT NULL
);

-- A private feed's held events, one entry per ticket that holds a place: the feed steps from one event to
-- the next (the least event id above the last), so a holder of thousands of tickets to one event costs one
-- step for it.
CREATE INDEX tickets_held_events ON tickets (holder_id, event_id) WHERE status <> 'cancelled';
