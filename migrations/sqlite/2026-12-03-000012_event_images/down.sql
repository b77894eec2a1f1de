ALTER TABLE events DROP COLUMN image_alt;
ALTER TABLE events DROP COLUMN image;
