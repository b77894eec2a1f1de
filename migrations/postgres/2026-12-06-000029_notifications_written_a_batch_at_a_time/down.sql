ALTER TABLE notifications ALTER COLUMN id DROP DEFAULT;

CREATE FUNCTION notifications_id_in_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inbox_counts (owner_id, total, unread)
        VALUES (NEW.owner_id, 1, CASE WHEN NEW.is_read THEN 0 ELSE 1 END)
        ON CONFLICT (owner_id) DO UPDATE SET total = inbox_counts.total + 1,
            unread = inbox_counts.unread + EXCLUDED.unread;
    IF NEW.id IS NULL THEN
        NEW.id := nextval('notifications_id_seq');
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER notifications_id_in_commit_order BEFORE INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_id_in_commit_order();

ALTER TABLE notifications
    ADD CONSTRAINT notifications_sender_id_fkey FOREIGN KEY (sender_id) REFERENCES users (id) ON DELETE CASCADE,
    ADD CONSTRAINT notifications_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE,
    ADD CONSTRAINT notifications_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE SET NULL;
