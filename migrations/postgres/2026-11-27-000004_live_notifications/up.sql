-- A live stream reads "this recipient's notifications after id N", and resumes from there after a
-- reconnect. That is only sound if, for one recipient, ids become visible in the order they are given:
-- with a plain sequence, a transaction holding id 10 may commit after another's id 11, and a reader
-- that saw 11 would skip 10 for ever. So a new notification takes its id only after locking its
-- recipient's inbox row, which it holds until it commits: ids of one recipient are handed out in commit
-- order. Inserts that bring their own id (`plaza migrate-data`) keep it.
ALTER TABLE notifications ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE notifications_id_seq OWNED BY notifications.id;
SELECT setval('notifications_id_seq', COALESCE((SELECT max(id) FROM notifications), 0) + 1, false);

CREATE FUNCTION notifications_id_in_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NULL THEN
        INSERT INTO inbox_counts (owner_id, total, unread) VALUES (NEW.owner_id, 0, 0)
            ON CONFLICT (owner_id) DO NOTHING;
        PERFORM 1 FROM inbox_counts WHERE owner_id = NEW.owner_id FOR UPDATE;
        NEW.id := nextval('notifications_id_seq');
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER notifications_id_in_commit_order BEFORE INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_id_in_commit_order();

CREATE INDEX notifications_since ON notifications (owner_id, id);

-- Single-use tickets that open a stream from a browser's EventSource, which cannot send an Authorization
-- header; every instance redeems them. The key is a SHA-256 digest of the ticket.
CREATE TABLE stream_tickets (
    key              TEXT PRIMARY KEY,
    user_id          BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_issued_at  BIGINT NOT NULL,
    token_expires_at BIGINT NOT NULL,
    expires_at       TIMESTAMP NOT NULL
);

CREATE INDEX stream_tickets_by_expiry ON stream_tickets (expires_at);
