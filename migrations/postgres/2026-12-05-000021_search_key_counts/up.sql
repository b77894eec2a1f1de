-- How many events each search key matches, so a one-word search knows its total without counting its
-- matches (a common word's count read 40,000 rows at 100,000 events). A key is a whole token (`=music`)
-- or a prefix of one of at most 12 characters (`m`, `mu`, … `music`); an event counts once per key
-- however many of its tokens share it. The same keys as SQLite's `search_counts`
-- (migrations/sqlite/2026-11-26-000008). Kept by triggers in the transaction of the change, each
-- event's keys taken in key order (inserts and deletes of events already queue on `event_total`; two
-- edits of events' text may now wait for each other on common prefixes, and a deadlock between them is
-- broken by PostgreSQL and the write tried again). The counts are per character, which the database's
-- UTF8 encoding gives (Plaza's PostgreSQL databases are UTF8, docs/operations.md).

-- No event may be written between counting the existing ones and creating the triggers (another
-- instance still serving during a rolling deploy): it would never be counted.
LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE;

CREATE FUNCTION search_keys(tokens TEXT[]) RETURNS SETOF TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT key FROM unnest(tokens) AS token,
        LATERAL (SELECT '=' || token WHERE char_length(token) <= 12
                 UNION ALL
                 SELECT left(token, n) FROM generate_series(1, least(12, char_length(token))) AS n)
          AS keys (key)
$$;

CREATE TABLE search_key_counts (
    key    TEXT PRIMARY KEY,
    events BIGINT NOT NULL
);
INSERT INTO search_key_counts (key, events)
SELECT key, count(*) FROM events, LATERAL search_keys(search_tokens) AS key GROUP BY key;

CREATE FUNCTION search_key_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_key_counts AS counted (key, events)
        SELECT key, count(*) FROM new_rows, LATERAL search_keys(new_rows.search_tokens) AS key
        GROUP BY key ORDER BY key
        ON CONFLICT (key) DO UPDATE SET events = counted.events + excluded.events;
    ELSE
        INSERT INTO search_key_counts AS counted (key, events)
        SELECT key, -count(*) FROM old_rows, LATERAL search_keys(old_rows.search_tokens) AS key
        GROUP BY key ORDER BY key
        ON CONFLICT (key) DO UPDATE SET events = counted.events + excluded.events;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER search_key_counts_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_key_counts_follow();
CREATE TRIGGER search_key_counts_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_key_counts_follow();

-- An edit of an event's text (sales and other updates never get here): the keys it gained and lost.
CREATE FUNCTION search_key_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_key_counts AS counted (key, events)
    SELECT key, sum(change) FROM (
        SELECT key, 1 AS change FROM search_keys(NEW.search_tokens) AS key
        UNION ALL
        SELECT key, -1 FROM search_keys(OLD.search_tokens) AS key
    ) changed GROUP BY key HAVING sum(change) <> 0 ORDER BY key
    ON CONFLICT (key) DO UPDATE SET events = counted.events + excluded.events;
    RETURN NULL;
END $$;
CREATE TRIGGER search_key_counts_change AFTER UPDATE OF search_tokens ON events
    FOR EACH ROW WHEN (OLD.search_tokens IS DISTINCT FROM NEW.search_tokens)
    EXECUTE FUNCTION search_key_counts_change();
