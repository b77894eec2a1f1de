-- A number every change of what searches find raises (an event added or deleted, its text or its time
-- changed), in the change's own transaction, kept in the row every insert and delete of an event updates
-- already. A count of a several-word search is remembered in memory under the number it was read with and
-- answered again only while the number is the same — on every instance, since they all read this row.
ALTER TABLE event_total ADD COLUMN search_version BIGINT NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION event_total_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE event_total
    SET events = events + (CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END),
        search_version = search_version + 1
    WHERE id = 1;
    RETURN NULL;
END $$;

-- Sales and check-ins update events too, but never these columns: they leave the number alone. Row
-- triggers fire in the order of their names: this one, first, takes the `event_total` row before the
-- bucket and key counts are taken, in the same order as an insert or a delete takes them (no deadlock).
CREATE FUNCTION event_search_version_follows_edits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE event_total SET search_version = search_version + 1 WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER event_search_version_follows_edits AFTER UPDATE OF search_tokens, event_time ON events
    FOR EACH ROW
    WHEN (OLD.search_tokens IS DISTINCT FROM NEW.search_tokens OR OLD.event_time IS DISTINCT FROM NEW.event_time)
    EXECUTE FUNCTION event_search_version_follows_edits();
