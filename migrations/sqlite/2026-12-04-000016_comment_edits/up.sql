-- When the author last changed a comment (NULL: never edited since it was written).
ALTER TABLE comments ADD COLUMN edited_at TIMESTAMP;
