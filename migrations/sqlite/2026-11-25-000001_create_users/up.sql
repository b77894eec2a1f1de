-- Accounts. User names and e-mail addresses are unique without regard to ASCII case ("Alice" = "alice").
CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL,
    email               TEXT NOT NULL,
    full_name           TEXT,
    avatar              TEXT,
    password_hash       TEXT NOT NULL,
    password_changed_at TIMESTAMP NOT NULL,
    created_at          TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX users_username_unique ON users (username COLLATE NOCASE);
CREATE UNIQUE INDEX users_email_unique ON users (email COLLATE NOCASE);
