-- When the author last changed a post (NULL: never edited since it was written).
ALTER TABLE posts ADD COLUMN edited_at TIMESTAMP;
