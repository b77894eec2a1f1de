-- Totals every list response carries (X-Total-Count, X-Unread-Count), kept by triggers in the same
-- transaction as the rows they count, so a page costs the same at ten rows or a hundred thousand (as on
-- SQLite, migrations/sqlite/2026-11-26-000006).

CREATE TABLE event_total (
    id     INT PRIMARY KEY CHECK (id = 1),
    events BIGINT NOT NULL
);
INSERT INTO event_total (id, events) SELECT 1, count(*) FROM events;

CREATE FUNCTION event_total_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE event_total SET events = events + (CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END) WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER event_total_follows AFTER INSERT OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION event_total_follows();

CREATE TABLE comment_totals (
    event_id BIGINT PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    comments BIGINT NOT NULL
);
INSERT INTO comment_totals (event_id, comments) SELECT event_id, count(*) FROM comments GROUP BY event_id;

CREATE FUNCTION comment_totals_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO comment_totals (event_id, comments) VALUES (NEW.event_id, 1)
        ON CONFLICT (event_id) DO UPDATE SET comments = comment_totals.comments + 1;
    ELSE
        UPDATE comment_totals SET comments = comments - 1 WHERE event_id = OLD.event_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER comment_totals_follow AFTER INSERT OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION comment_totals_follow();

CREATE TABLE inbox_counts (
    owner_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    total    BIGINT NOT NULL DEFAULT 0,
    unread   BIGINT NOT NULL DEFAULT 0
);
INSERT INTO inbox_counts (owner_id, total, unread)
SELECT owner_id, count(*), count(*) FILTER (WHERE NOT is_read) FROM notifications GROUP BY owner_id;

CREATE FUNCTION inbox_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER inbox_counts_follow AFTER INSERT OR UPDATE OF is_read OR DELETE ON notifications
    FOR EACH ROW EXECUTE FUNCTION inbox_counts_follow();
