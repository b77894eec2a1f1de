DROP TRIGGER event_search_version_follows_edits ON events;
DROP FUNCTION event_search_version_follows_edits();
CREATE OR REPLACE FUNCTION event_total_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE event_total SET events = events + (CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END) WHERE id = 1;
    RETURN NULL;
END $$;
ALTER TABLE event_total DROP COLUMN search_version;
