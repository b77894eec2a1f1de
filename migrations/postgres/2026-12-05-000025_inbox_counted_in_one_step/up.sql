-- A new notification is counted in its recipient's inbox row by the trigger that gives it its id, in one
-- upsert, which also takes the row lock that hands one recipient's ids out in commit order (migration
-- 2026-11-27-000004). Before, each new notification cost three statements on that row (an insert that
-- found it there, a lock, and the count after the insert): a comment that notifies 50 people made 150
-- (docs/performance.md, issue 22). A notification that then fails to be inserted fails its statement,
-- and its count goes with it.
CREATE OR REPLACE FUNCTION notifications_id_in_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inbox_counts (owner_id, total, unread)
        VALUES (NEW.owner_id, 1, CASE WHEN NEW.is_read THEN 0 ELSE 1 END)
        ON CONFLICT (owner_id) DO UPDATE SET total = inbox_counts.total + 1,
            unread = inbox_counts.unread + EXCLUDED.unread;
    -- Inserts that bring their own id (`plaza migrate-data`) keep it.
    IF NEW.id IS NULL THEN
        NEW.id := nextval('notifications_id_seq');
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION inbox_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
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
CREATE TRIGGER inbox_counts_follow AFTER UPDATE OF is_read OR DELETE ON notifications
    FOR EACH ROW EXECUTE FUNCTION inbox_counts_follow();
