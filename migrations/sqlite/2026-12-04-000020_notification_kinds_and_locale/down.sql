ALTER TABLE users DROP COLUMN locale;
ALTER TABLE notifications DROP COLUMN event_time;
ALTER TABLE notifications DROP COLUMN quantity;
ALTER TABLE notifications DROP COLUMN event_name;
ALTER TABLE notifications DROP COLUMN kind;
