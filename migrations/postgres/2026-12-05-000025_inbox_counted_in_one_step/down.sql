CREATE OR REPLACE FUNCTION notifications_id_in_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NULL THEN
        INSERT INTO inbox_counts (owner_id, total, unread) VALUES (NEW.owner_id, 0, 0)
            ON CONFLICT (owner_id) DO NOTHING;
        PERFORM 1 FROM inbox_counts WHERE owner_id = NEW.owner_id FOR UPDATE;
        NEW.id := nextval('notifications_id_seq');
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION inbox_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO inbox_counts (owner_id, total, unread) VALUES (NEW.owner_id, 1, CASE WHEN NEW.is_read THEN 0 ELSE 1 END)
        ON CONFLICT (owner_id) DO UPDATE SET total = inbox_counts.total + 1,
            unread = inbox_counts.unread + (CASE WHEN NEW.is_read THEN 0 ELSE 1 END);
    ELSIF TG_OP = 'UPDATE' THEN
        IF OLD.is_read IS DISTINCT FROM NEW.is_read THEN
            UPDATE inbox_counts SET unread = unread + (CASE WHEN NEW.is_read THEN -1 ELSE 1 END)
            WHERE owner_id = NEW.owner_id;
        END IF;
    ELSE
        UPDATE inbox_counts SET total = total - 1, unread = unread - (CASE WHEN OLD.is_read THEN 0 ELSE 1 END)
        WHERE owner_id = OLD.owner_id;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER inbox_counts_follow ON notifications;
CREATE TRIGGER inbox_counts_follow AFTER INSERT OR UPDATE OF is_read OR DELETE ON notifications
    FOR EACH ROW EXECUTE FUNCTION inbox_counts_follow();
