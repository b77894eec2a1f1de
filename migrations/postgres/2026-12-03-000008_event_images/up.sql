-- An event's picture: the stored file's name in the image store, and what it shows (its alt text).
ALTER TABLE events
    ADD COLUMN image TEXT CHECK (char_length(image) BETWEEN 1 AND 200),
    ADD COLUMN image_alt TEXT CHECK (char_length(image_alt) BETWEEN 1 AND 300),
    ADD CONSTRAINT events_image_described CHECK ((image IS NULL) = (image_alt IS NULL));
