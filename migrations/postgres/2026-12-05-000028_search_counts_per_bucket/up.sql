-- A one-word search's page without sorting every match: each search key's events counted per bucket of
-- time (the buckets of `event_time_buckets`, migration 2026-12-05-000020), kept by triggers in the
-- transaction of the change. A page adds up the key's bucket counts in list order until it reaches its
-- first match, and reads its matches bucket by bucket from there: a word in 1% of a million
-- events whose first match is months into the list no longer sorts its 10,000 matches to show ten. The
-- totals stay in `search_key_counts` (one row a key, where these would be one a bucket).

-- No event may be written between counting the existing ones and creating the triggers (another
-- instance still serving during a rolling deploy): it would never be counted. Counting takes about
-- 100 s for a million events (docs/operations.md).
LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE search_key_buckets (
    key    TEXT   NOT NULL,
    bucket BIGINT NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (key, bucket)
);
INSERT INTO search_key_buckets (key, bucket, events)
SELECT key, event_bucket(event_time), count(*) FROM events, LATERAL search_keys(search_tokens) AS key
GROUP BY 1, 2;

-- Inserts and deletes: one statement's rows added up per key and bucket, applied in that order (these
-- statements hold the `event_total` row already, through its own trigger).
CREATE FUNCTION search_key_buckets_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_key_buckets AS counted (key, bucket, events)
        SELECT key, event_bucket(event_time), count(*)
        FROM new_rows, LATERAL search_keys(new_rows.search_tokens) AS key
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (key, bucket) DO UPDATE SET events = counted.events + excluded.events;
    ELSE
        INSERT INTO search_key_buckets AS counted (key, bucket, events)
        SELECT key, event_bucket(event_time), -count(*)
        FROM old_rows, LATERAL search_keys(old_rows.search_tokens) AS key
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (key, bucket) DO UPDATE SET events = counted.events + excluded.events;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER search_key_buckets_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_key_buckets_follow();
CREATE TRIGGER search_key_buckets_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_key_buckets_follow();

-- An edit of an event's text, or of its time into another bucket (sales and other updates never get
-- here): the keys and buckets it gained and lost, in key and bucket order. Two edits that meet in
-- opposite orders are a deadlock PostgreSQL breaks, and the write is tried again.
CREATE FUNCTION search_key_buckets_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_key_buckets AS counted (key, bucket, events)
    SELECT key, bucket, sum(change) FROM (
        SELECT key, event_bucket(NEW.event_time) AS bucket, 1 AS change FROM search_keys(NEW.search_tokens) AS key
        UNION ALL
        SELECT key, event_bucket(OLD.event_time), -1 FROM search_keys(OLD.search_tokens) AS key
    ) changed GROUP BY key, bucket HAVING sum(change) <> 0 ORDER BY key, bucket
    ON CONFLICT (key, bucket) DO UPDATE SET events = counted.events + excluded.events;
    RETURN NULL;
END $$;
CREATE TRIGGER search_key_buckets_change AFTER UPDATE OF search_tokens, event_time ON events
    FOR EACH ROW
    WHEN (OLD.search_tokens IS DISTINCT FROM NEW.search_tokens
          OR event_bucket(OLD.event_time) <> event_bucket(NEW.event_time))
    EXECUTE FUNCTION search_key_buckets_change();

-- The ids of a page of the events matching `matching`, whose key (as `search_keys` makes them) is
-- `search_key` and which `key_events` events hold in all, in list order: from the instant on
-- (`latest_first` false), or before it latest first (`latest_first` true), or every event (`instant`
-- NULL). The key's buckets with events are read in the side's order, and the page is read bucket by
-- bucket from the first holding part of it, each read bounded to one bucket's events (a page across a
-- gap of months reads none of the gap), until it is full. The instant's own bucket counts its matches on
-- the side among that bucket's events.
--
-- A word held by more events than a bucket has is read by walking the bucket in list order (bitmap
-- scans off): PostgreSQL estimates every prefix search at a fixed share of the events, and would build
-- the bitmap of all 400,000 events of a common word to find 500 of them. A rarer word is left to the
-- planner (its bitmap, intersected with the bucket's, is small).
CREATE FUNCTION search_key_page(search_key TEXT, key_events BIGINT, matching TSQUERY, instant TIMESTAMP,
                                latest_first BOOLEAN, page_offset BIGINT, page_limit BIGINT)
    RETURNS BIGINT[] LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    edge      BIGINT := event_bucket(instant);
    buckets   REFCURSOR;
    at_bucket BIGINT;
    matches   BIGINT;
    counted   BIGINT := 0;
    ids       BIGINT[] := '{}';
    walk      BOOLEAN;
    bitmaps   TEXT := current_setting('enable_bitmapscan');
BEGIN
    IF latest_first THEN
        OPEN buckets FOR SELECT bucket, events FROM search_key_buckets
            WHERE key = search_key AND bucket <= coalesce(edge, 9223372036854775807) AND events > 0
            ORDER BY bucket DESC;
    ELSE
        OPEN buckets FOR SELECT bucket, events FROM search_key_buckets
            WHERE key = search_key AND bucket >= coalesce(edge, -9223372036854775808) AND events > 0
            ORDER BY bucket;
    END IF;
    LOOP
        FETCH buckets INTO at_bucket, matches;
        EXIT WHEN NOT FOUND;
        IF at_bucket = edge AND latest_first THEN
            matches := matches - (SELECT count(*) FROM events WHERE search_vector @@ matching
                                  AND event_time >= instant AND event_time < event_bucket_start(edge + 1));
        ELSIF at_bucket = edge THEN
            matches := matches - (SELECT count(*) FROM events WHERE search_vector @@ matching
                                  AND event_time >= event_bucket_start(edge) AND event_time < instant);
        END IF;
        IF counted + matches > page_offset THEN
            walk := key_events >= (SELECT events FROM event_time_buckets WHERE bucket = at_bucket);
            IF walk THEN
                PERFORM set_config('enable_bitmapscan', 'off', true);
            END IF;
            IF latest_first THEN
                ids := ids || array(SELECT id FROM events WHERE search_vector @@ matching
                                    AND event_time >= event_bucket_start(at_bucket)
                                    AND event_time < least(instant, event_bucket_start(at_bucket + 1))
                                    ORDER BY event_time DESC, id DESC
                                    LIMIT page_limit - cardinality(ids)
                                    OFFSET greatest(page_offset - counted, 0));
            ELSE
                ids := ids || array(SELECT id FROM events WHERE search_vector @@ matching
                                    AND event_time >= greatest(instant, event_bucket_start(at_bucket))
                                    AND event_time < event_bucket_start(at_bucket + 1)
                                    ORDER BY event_time, id
                                    LIMIT page_limit - cardinality(ids)
                                    OFFSET greatest(page_offset - counted, 0));
            END IF;
            IF walk THEN
                PERFORM set_config('enable_bitmapscan', bitmaps, true);
            END IF;
        END IF;
        EXIT WHEN cardinality(ids) >= page_limit;
        counted := counted + matches;
    END LOOP;
    CLOSE buckets;
    RETURN ids;
END $$;
