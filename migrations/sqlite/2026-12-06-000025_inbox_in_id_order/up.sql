-- An inbox is listed newest first by id (the order notifications are written in, which the live stream
-- and `read-all`'s `up_to_id` already follow) instead of by `created_at` then id, so one index per
-- recipient serves the list, its unread filter, the live stream's "after id N" and `read-all`. A comment's
-- fan-out then writes one scattered index entry per recipient instead of two: the by-time index and the
-- by-id index each dirtied a leaf page per recipient.
DROP INDEX notifications_by_owner;
DROP INDEX notifications_since;
CREATE INDEX notifications_by_owner ON notifications (owner_id, id, is_read);
