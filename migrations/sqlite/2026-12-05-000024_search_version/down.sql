ALTER TABLE event_total DROP COLUMN search_version;
