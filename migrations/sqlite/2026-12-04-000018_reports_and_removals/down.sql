DROP TABLE reports;
DROP TABLE removed_events;
DROP TABLE removed_posts;
DROP TABLE removed_comments;
DELETE FROM modlog WHERE action = 'remove';
CREATE TABLE modlog_old (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    moderator_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action       TEXT NOT NULL CHECK (action IN ('set_role', 'ban', 'unban')),
    role         TEXT CHECK (role IN ('member', 'moderator', 'admin')),
    target_kind  TEXT NOT NULL CHECK (target_kind IN ('comment', 'post', 'event', 'user')),
    target_id    INTEGER NOT NULL,
    reason       TEXT,
    until        TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    CHECK ((action = 'set_role') = (role IS NOT NULL))
);
INSERT INTO modlog_old SELECT * FROM modlog;
DROP TABLE modlog;
ALTER TABLE modlog_old RENAME TO modlog;
