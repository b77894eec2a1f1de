-- The moderation log learns removals. SQLite cannot change a CHECK constraint, so the table is rebuilt
-- (ids kept: the log's order never changes).
CREATE TABLE modlog_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    moderator_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action       TEXT NOT NULL CHECK (action IN ('set_role', 'ban', 'unban', 'remove')),
    role         TEXT CHECK (role IN ('member', 'moderator', 'admin')),
    target_kind  TEXT NOT NULL CHECK (target_kind IN ('comment', 'post', 'event', 'user')),
    target_id    INTEGER NOT NULL,
    reason       TEXT,
    until        TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    CHECK ((action = 'set_role') = (role IS NOT NULL))
);
INSERT INTO modlog_new (id, moderator_id, action, role, target_kind, target_id, reason, until, created_at)
    SELECT id, moderator_id, action, role, target_kind, target_id, reason, until, created_at FROM modlog;
DROP TABLE modlog;
ALTER TABLE modlog_new RENAME TO modlog;

-- Removed items, kept apart from the live tables so that every list, search and count leaves them out
-- exactly as a deletion does; their authors and the moderators still read them here. The copies keep the
-- ids they had (reports and the log name them by id) and outlive the event, post or account around them.
CREATE TABLE removed_comments (
    id         INTEGER PRIMARY KEY,
    content    TEXT NOT NULL,
    event_id   INTEGER NOT NULL,
    owner_id   INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    edited_at  TIMESTAMP,
    removed_at TIMESTAMP NOT NULL,
    removed_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE TABLE removed_posts (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    content    TEXT NOT NULL,
    owner_id   INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    edited_at  TIMESTAMP,
    removed_at TIMESTAMP NOT NULL,
    removed_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE TABLE removed_events (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    event_time       TIMESTAMP NOT NULL,
    description      TEXT NOT NULL,
    duration_hours   INTEGER NOT NULL,
    duration_minutes INTEGER NOT NULL,
    tickets_sold     INTEGER NOT NULL,
    max_tickets      INTEGER NOT NULL,
    owner_id         INTEGER NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    venue            TEXT,
    address          TEXT,
    latitude         REAL,
    longitude        REAL,
    online_url       TEXT,
    -- The picture's file goes with the removal; these stay NULL.
    image            TEXT,
    image_alt        TEXT,
    removed_at       TIMESTAMP NOT NULL,
    removed_by       INTEGER REFERENCES users (id) ON DELETE SET NULL
);

-- Reports. `author_id` is the reported item's author when it was reported (the account itself for a
-- reported account), so that a ban still finds them after the item is gone. Resolution columns are NULL
-- while the report is open.
CREATE TABLE reports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    reporter_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_kind     TEXT NOT NULL CHECK (target_kind IN ('comment', 'post', 'event', 'user')),
    target_id       INTEGER NOT NULL,
    author_id       INTEGER NOT NULL,
    reason          TEXT NOT NULL CHECK (reason IN ('spam', 'harassment', 'illegal', 'other')),
    note            TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    resolved_at     TIMESTAMP,
    action          TEXT CHECK (action IN ('dismiss', 'remove', 'ban')),
    resolution_note TEXT,
    moderator_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    CHECK ((resolved_at IS NULL) = (action IS NULL))
);
-- A reporter's reports, for their data export.
CREATE INDEX reports_by_reporter ON reports (reporter_id, id);
-- One open report per reporter and target.
CREATE UNIQUE INDEX reports_one_open_per_reporter ON reports (reporter_id, target_kind, target_id)
    WHERE resolved_at IS NULL;
-- The queue, oldest first, and the resolved list.
CREATE INDEX reports_open ON reports (id) WHERE resolved_at IS NULL;
CREATE INDEX reports_resolved ON reports (id) WHERE resolved_at IS NOT NULL;
-- Resolving every open report on a target at once; the largest id reported of each kind.
CREATE INDEX reports_by_target ON reports (target_kind, target_id);
-- The largest id of each kind the log names.
CREATE INDEX modlog_by_target ON modlog (target_kind, target_id);
