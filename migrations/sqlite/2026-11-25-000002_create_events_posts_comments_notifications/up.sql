CREATE TABLE events (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    event_time       TIMESTAMP NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    duration_hours   INTEGER NOT NULL CHECK (duration_hours BETWEEN 0 AND 8784),
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 0 AND 59),
    tickets_sold     INTEGER NOT NULL DEFAULT 0 CHECK (tickets_sold >= 0),
    max_tickets      INTEGER NOT NULL CHECK (max_tickets >= 0),
    owner_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at       TIMESTAMP NOT NULL,
    -- The last line of defence against overselling: no write, however it is phrased, can break this.
    CHECK (tickets_sold <= max_tickets)
);

CREATE INDEX events_by_time ON events (event_time, id);
CREATE INDEX events_by_owner ON events (owner_id);

-- Full-text search over name and description, an external-content index kept in sync by triggers.
-- remove_diacritics 2: "cafe" finds "Café".
CREATE VIRTUAL TABLE events_fts USING fts5 (
    name,
    description,
    content = 'events',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER events_fts_after_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;

CREATE TRIGGER events_fts_after_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, name, description)
    VALUES ('delete', old.id, old.name, old.description);
END;

-- Only text changes touch the index: ticket sales do not churn it.
CREATE TRIGGER events_fts_after_update AFTER UPDATE OF name, description ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, name, description)
    VALUES ('delete', old.id, old.name, old.description);
    INSERT INTO events_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;

CREATE TABLE posts (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    content    TEXT NOT NULL,
    owner_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX posts_newest ON posts (created_at DESC, id DESC);
CREATE INDEX posts_by_owner_newest ON posts (owner_id, created_at DESC, id DESC);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    content    TEXT NOT NULL,
    event_id   INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    owner_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX comments_by_event ON comments (event_id, created_at, id);
CREATE INDEX comments_by_owner ON comments (owner_id);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    message    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sender     TEXT NOT NULL,
    sender_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    owner_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- A notification outlives the event it was about: the inbox is the recipient's.
    event_id   INTEGER REFERENCES events (id) ON DELETE SET NULL,
    is_read    BOOLEAN NOT NULL DEFAULT 0
);

CREATE INDEX notifications_by_owner_newest ON notifications (owner_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_by_owner ON notifications (owner_id, id) WHERE is_read = 0;
CREATE INDEX notifications_by_event ON notifications (event_id);
CREATE INDEX notifications_by_sender ON notifications (sender_id);
