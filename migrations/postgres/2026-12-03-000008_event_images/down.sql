ALTER TABLE events DROP COLUMN image_alt, DROP COLUMN image;
