DROP TABLE modlog;
DROP INDEX users_by_role;
ALTER TABLE users DROP COLUMN role;
ALTER TABLE users DROP COLUMN ban_reason;
ALTER TABLE users DROP COLUMN banned_until;
ALTER TABLE users DROP COLUMN banned_at;
