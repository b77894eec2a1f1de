-- One index per recipient serves the inbox page, its total and its unread count (is_read is in the index,
-- so counting reads no table rows). Each notification of a comment's fan-out now writes one index entry of
-- its recipient instead of two: on the write path that is half the scattered pages per comment.
DROP INDEX notifications_by_owner_newest;
DROP INDEX notifications_unread_by_owner;
CREATE INDEX notifications_by_owner ON notifications (owner_id, created_at DESC, id DESC, is_read);
