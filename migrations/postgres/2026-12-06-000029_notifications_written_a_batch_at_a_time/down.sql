DROP TRIGGER notifications_outlive_their_event ON events;
DROP FUNCTION notifications_outlive_their_event();

DROP TRIGGER notifications_id_in_commit_order ON notifications;
CREATE TRIGGER notifications_id_in_commit_order BEFORE INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_id_in_commit_order();

ALTER TABLE notifications
    ADD CONSTRAINT notifications_sender_id_fkey FOREIGN KEY (sender_id) REFERENCES users (id) ON DELETE CASCADE,
    ADD CONSTRAINT notifications_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE,
    ADD CONSTRAINT notifications_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE SET NULL;
