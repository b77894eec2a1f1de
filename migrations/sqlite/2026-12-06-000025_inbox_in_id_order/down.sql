DROP INDEX notifications_by_owner;
CREATE INDEX notifications_by_owner ON notifications (owner_id, created_at DESC, id DESC, is_read);
CREATE INDEX notifications_since ON notifications (owner_id, id);
