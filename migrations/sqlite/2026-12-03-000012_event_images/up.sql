-- An event's picture: the stored file's name in the image store, and what it shows (its alt text).
-- Both or neither.
ALTER TABLE events ADD COLUMN image TEXT CHECK (length(image) BETWEEN 1 AND 200);
ALTER TABLE events ADD COLUMN image_alt TEXT CHECK (length(image_alt) BETWEEN 1 AND 300);
