-- What each account may do beyond its own things; every existing account is a member.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
    CHECK (role IN ('member', 'moderator', 'admin'));
-- A ban: while `banned_at` is set and `banned_until` is NULL (for good) or still ahead, the account's
-- tokens and logins are refused; past `banned_until` it lifts itself.
ALTER TABLE users ADD COLUMN banned_at TIMESTAMP;
ALTER TABLE users ADD COLUMN banned_until TIMESTAMP;
ALTER TABLE users ADD COLUMN ban_reason TEXT;
-- The holders of a role, in id order: the staff list, and the count that keeps the last admin.
CREATE INDEX users_by_role ON users (role, id);

-- The moderation log: every act of moderation, newest first by id (AUTOINCREMENT: an id is never reused,
-- so the order never changes). The moderator's account may go; the entry stays, without them.
CREATE TABLE modlog (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    moderator_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action       TEXT NOT NULL CHECK (action IN ('set_role', 'ban', 'unban')),
    role         TEXT CHECK (role IN ('member', 'moderator', 'admin')),
    target_kind  TEXT NOT NULL CHECK (target_kind IN ('comment', 'post', 'event', 'user')),
    target_id    INTEGER NOT NULL,
    reason       TEXT,
    -- For a ban: when it ends by itself (NULL: for good).
    until        TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    CHECK ((action = 'set_role') = (role IS NOT NULL))
);
