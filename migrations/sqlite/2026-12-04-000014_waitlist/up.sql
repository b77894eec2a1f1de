-- The waitlist of sold-out events: one entry per person and event, for the quantity they want, filled
-- whole in join order (the id: AUTOINCREMENT, so an id is never reused and the line never reorders) by
-- the writes that free places.
CREATE TABLE waitlist_entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (event_id, user_id)
);

-- An event's line, in join order: what a fill reads and what a position counts.
CREATE INDEX waitlist_in_line ON waitlist_entries (event_id, id);
-- The earliest entry of each quantity: what a fill seeks, one quantity at a time, to find the first entry
-- that fits the free places without walking the entries too large for them.
CREATE INDEX waitlist_by_quantity ON waitlist_entries (event_id, quantity, id);
-- Someone's entries, oldest first.
CREATE INDEX waitlist_by_user ON waitlist_entries (user_id, id);
