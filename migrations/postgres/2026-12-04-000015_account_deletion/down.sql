DROP INDEX users_deleted;
ALTER TABLE users DROP COLUMN deleted_at;
