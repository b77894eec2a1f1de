DROP INDEX notifications_by_owner;
CREATE INDEX notifications_by_owner_newest ON notifications (owner_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_by_owner ON notifications (owner_id, id) WHERE is_read = 0;
