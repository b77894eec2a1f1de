-- A live stream reads "this recipient's notifications after id N": one seek in this index, however large
-- the inbox (the inbox index is ordered by time for the list, not by id).
CREATE INDEX notifications_since ON notifications (owner_id, id);

-- Single-use tickets that open a stream from a browser's EventSource, which cannot send an Authorization
-- header. The key is a SHA-256 digest of the ticket: what is stored cannot be used.
CREATE TABLE stream_tickets (
    key              TEXT PRIMARY KEY NOT NULL,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_issued_at  BIGINT NOT NULL,
    token_expires_at BIGINT NOT NULL,
    expires_at       TIMESTAMP NOT NULL
) WITHOUT ROWID;

CREATE INDEX stream_tickets_by_expiry ON stream_tickets (expires_at);
