-- An inbox is listed newest first by id — the order in which one recipient's notifications commit
-- (migration 2026-11-27-000004), which the live stream and `read-all`'s `up_to_id` already follow —
-- instead of by `created_at` then id, so one index per recipient serves the list, its unread filter, the
-- live stream's "after id N" and `read-all`, and a comment's fan-out writes one index entry per recipient
-- instead of two.
--
-- The new index is built first, under a name of its own: while it builds, writes of notifications wait but
-- reads go on; the old indexes are dropped (which blocks reads too) only at the end, for a moment.
CREATE INDEX notifications_by_owner_and_id ON notifications (owner_id, id, is_read);
DROP INDEX notifications_by_owner;
DROP INDEX notifications_since;
ALTER INDEX notifications_by_owner_and_id RENAME TO notifications_by_owner;
