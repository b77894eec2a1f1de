-- Totals that every list response carries (X-Total-Count, X-Unread-Count), kept up to date by triggers in
-- the same transaction as the rows they count, so a page costs the same at ten rows or ten thousand.

-- Each user's inbox: all notifications, and the unread ones.
CREATE TABLE inbox_counts (
    owner_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    total    INTEGER NOT NULL DEFAULT 0,
    unread   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO inbox_counts (owner_id, total, unread)
SELECT users.id,
       (SELECT count(*) FROM notifications WHERE owner_id = users.id),
       (SELECT count(*) FROM notifications WHERE owner_id = users.id AND NOT is_read)
FROM users;

CREATE TRIGGER inbox_counts_for_new_user AFTER INSERT ON users BEGIN
    INSERT INTO inbox_counts (owner_id) VALUES (new.id);
END;

CREATE TRIGGER inbox_counts_after_insert AFTER INSERT ON notifications BEGIN
    UPDATE inbox_counts SET total = total + 1, unread = unread + (NOT new.is_read) WHERE owner_id = new.owner_id;
END;

CREATE TRIGGER inbox_counts_after_read AFTER UPDATE OF is_read ON notifications
WHEN old.is_read IS NOT new.is_read BEGIN
    UPDATE inbox_counts SET unread = unread + (CASE WHEN new.is_read THEN -1 ELSE 1 END)
    WHERE owner_id = new.owner_id;
END;

CREATE TRIGGER inbox_counts_after_delete AFTER DELETE ON notifications BEGIN
    UPDATE inbox_counts SET total = total - 1, unread = unread - (NOT old.is_read) WHERE owner_id = old.owner_id;
END;

-- Each event's comments.
CREATE TABLE comment_totals (
    event_id INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    comments INTEGER NOT NULL
);
INSERT INTO comment_totals (event_id, comments) SELECT event_id, count(*) FROM comments GROUP BY event_id;

CREATE TRIGGER comment_totals_after_insert AFTER INSERT ON comments BEGIN
    INSERT INTO comment_totals (event_id, comments) VALUES (new.event_id, 1)
    ON CONFLICT (event_id) DO UPDATE SET comments = comments + 1;
END;

CREATE TRIGGER comment_totals_after_delete AFTER DELETE ON comments BEGIN
    UPDATE comment_totals SET comments = comments - 1 WHERE event_id = old.event_id;
END;

-- How many events hold positions in each stretch of 2^40 positions (about 19 hours of event time): a page
-- deep in the event list adds up these few hundred rows to find its stretch, then skips only inside it,
-- instead of stepping over every event before it. The 40 is `BUCKET_BITS` in
-- crates/infra-sqlite/src/order.rs.
CREATE TABLE position_buckets (
    bucket INTEGER PRIMARY KEY,
    events INTEGER NOT NULL
);
INSERT INTO position_buckets (bucket, events)
SELECT position >> 40, count(*) FROM event_order GROUP BY position >> 40;

CREATE TRIGGER position_buckets_after_insert AFTER INSERT ON event_order BEGIN
    INSERT INTO position_buckets (bucket, events) VALUES (new.position >> 40, 1)
    ON CONFLICT (bucket) DO UPDATE SET events = events + 1;
END;

CREATE TRIGGER position_buckets_after_delete AFTER DELETE ON event_order BEGIN
    UPDATE position_buckets SET events = events - 1 WHERE bucket = old.position >> 40;
    DELETE FROM position_buckets WHERE bucket = old.position >> 40 AND events <= 0;
END;
