-- When the account was deleted (DELETE /users/me). The row stays, so that its user name stays taken and
-- what its owner wrote keeps an author; its e-mail address, password hash, display name and avatar are
-- erased in the same transaction (the address becomes a tombstone under the reserved `.invalid` domain).
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
-- The deleted accounts alone: what a notification's write asks of its recipients, at the cost of a few rows.
CREATE INDEX users_deleted ON users (id) WHERE deleted_at IS NOT NULL;
