-- Sessions: one login on one device, renewed with refresh tokens. Ids are never reused, so a token naming
-- an ended session can never come back to life.
CREATE TABLE sessions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device       TEXT NOT NULL CHECK (char_length(device) BETWEEN 1 AND 200),
    remember     BOOLEAN NOT NULL,
    signed_in_at BIGINT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    generation   BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX sessions_by_user ON sessions (user_id, last_used_at);

-- Digests of refresh tokens, the spent ones kept to recognise a copy presented again.
CREATE TABLE refresh_tokens (
    key        TEXT PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    generation BIGINT NOT NULL,
    spent      BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id, generation);

-- A stream opened with a session's token closes when the session ends; its unused tickets go with it.
ALTER TABLE stream_tickets ADD COLUMN session_id BIGINT REFERENCES sessions (id) ON DELETE CASCADE;
