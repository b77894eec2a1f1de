-- A search in one statement, and a one-word page read with plans made once.
--
-- pgbench, two clients, on the 100,000-event benchmark database (docs/performance.md, issue 22, thirteenth
-- part): a rare word's first page of the upcoming events took a backend 0.43-0.58 ms in the five round
-- trips Plaza made (BEGIN, the sizes, `search_key_page`, the events, COMMIT), and 0.22-0.27 ms in one
-- statement with the plans below kept.

-- The page of a one-word search, as migration 2026-12-05-000028 made it, with its statements planned
-- once for the session (`force_generic_plan`) where one plan serves every value: the cursor over the
-- key's buckets, and the walk of one bucket in list order (bitmap scans off, so the plan is always the
-- time index's). A read of one bucket for a word rarer than the bucket's events, and the count of the
-- instant's own bucket, are left to the planner with their values (`EXECUTE`), as before: their best
-- plan depends on how many events match.
CREATE OR REPLACE FUNCTION search_key_page(search_key TEXT, key_events BIGINT, matching TSQUERY, instant TIMESTAMP,
                                latest_first BOOLEAN, page_offset BIGINT, page_limit BIGINT)
    RETURNS BIGINT[] LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    edge      BIGINT := event_bucket(instant);
    buckets   REFCURSOR;
    at_bucket BIGINT;
    matches   BIGINT;
    counted   BIGINT := 0;
    ids       BIGINT[] := '{}';
    walk      BOOLEAN;
    bitmaps   TEXT := current_setting('enable_bitmapscan');
    low       TIMESTAMP;
    high      TIMESTAMP;
    read_ids  BIGINT[];
    outside   BIGINT;
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
        IF at_bucket = edge THEN
            IF latest_first THEN
                low := instant;
                high := event_bucket_start(edge + 1);
            ELSE
                low := event_bucket_start(edge);
                high := instant;
            END IF;
            EXECUTE 'SELECT count(*) FROM events WHERE search_vector @@ $1 AND event_time >= $2 AND event_time < $3'
                INTO STRICT outside USING matching, low, high;
            matches := matches - outside;
        END IF;
        IF counted + matches > page_offset THEN
            IF latest_first THEN
                low := event_bucket_start(at_bucket);
                high := least(instant, event_bucket_start(at_bucket + 1));
            ELSE
                low := greatest(instant, event_bucket_start(at_bucket));
                high := event_bucket_start(at_bucket + 1);
            END IF;
            walk := key_events >= (SELECT events FROM event_time_buckets WHERE bucket = at_bucket);
            IF walk THEN
                PERFORM set_config('enable_bitmapscan', 'off', true);
                IF latest_first THEN
                    ids := ids || array(SELECT id FROM events WHERE search_vector @@ matching
                                        AND event_time >= low AND event_time < high
                                        ORDER BY event_time DESC, id DESC
                                        LIMIT page_limit - cardinality(ids)
                                        OFFSET greatest(page_offset - counted, 0));
                ELSE
                    ids := ids || array(SELECT id FROM events WHERE search_vector @@ matching
                                        AND event_time >= low AND event_time < high
                                        ORDER BY event_time, id
                                        LIMIT page_limit - cardinality(ids)
                                        OFFSET greatest(page_offset - counted, 0));
                END IF;
                PERFORM set_config('enable_bitmapscan', bitmaps, true);
            ELSE
                EXECUTE format('SELECT array(SELECT id FROM events WHERE search_vector @@ $1 '
                               'AND event_time >= $2 AND event_time < $3 ORDER BY %s LIMIT $4 OFFSET $5)',
                               CASE WHEN latest_first THEN 'event_time DESC, id DESC' ELSE 'event_time, id' END)
                    INTO STRICT read_ids
                    USING matching, low, high, page_limit - cardinality(ids), greatest(page_offset - counted, 0);
                ids := ids || read_ids;
            END IF;
        END IF;
        EXIT WHEN cardinality(ids) >= page_limit;
        counted := counted + matches;
    END LOOP;
    CLOSE buckets;
    RETURN ids;
END $$;

-- A page of a search: `page_limit` of its matches from the `page_offset`-th, in list order, each with the
-- search's total — what `crate::search::page` and the events' loading read in five round trips
-- (crates/infra-postgres/src/search.rs), in one call (one snapshot, no transaction; the events are
-- joined here, where the plan is kept, rather than in Plaza's statement, which the search connections
-- plan at every call). No rows for an empty page. The list is `list_window` ('all', 'upcoming' from
-- `instant`, 'past' before it, latest first); the search is `matching`, and `search_key` its one word's
-- key in `search_key_counts` (NULL for a search of several words, or of a word too long to be counted).
--
-- A total the kept counts give (one word, in the whole list or on a side with no events beyond it) is
-- read here. A total that needs the matches of one side counted is taken from the caller, who remembers
-- counts by the version of what searches find and the number of events before the instant
-- (`known_count` at `known_version` and `known_before`): which side's count it is follows from those two
-- as in Plaza's own reading (the other side's when a word is counted and that side is smaller, this
-- side's otherwise; for the whole list the number before is taken as 0). When the caller knows no count
-- for the present version and instant, there are no rows either: Plaza then reads the search in its
-- separate statements, which count once for every search waiting for the same count.
--
-- The page is read as Plaza's own reading does: a short walk of the list in order for the first pages of
-- a word most events hold (at most 50 rows expected for one word, any number for several, given up after
-- four times that: `ONE_WORD_WALK` and `Reading::walked` in search.rs), else the word's buckets
-- (`search_key_page`), or for several words every match sorted, planned for its values.
CREATE FUNCTION event_search_page(list_window TEXT, instant TIMESTAMP, search_key TEXT, matching TSQUERY,
    page_limit BIGINT, page_offset BIGINT, known_version BIGINT, known_before BIGINT, known_count BIGINT)
    RETURNS TABLE (total BIGINT, event events) LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    listed   BIGINT;
    version  BIGINT;
    -- The whole list's count does not depend on where the instant falls.
    before   BIGINT := CASE WHEN list_window = 'all' THEN 0 ELSE events_before(instant) END;
    keyed    BIGINT;
    ids      BIGINT[];
    seqscans TEXT := current_setting('enable_seqscan');
    bitmaps  TEXT := current_setting('enable_bitmapscan');
    inside   BIGINT;
    outside  BIGINT;
    expected BIGINT;
BEGIN
    SELECT events, search_version INTO STRICT listed, version FROM event_total;
    IF list_window = 'all' THEN
        inside := listed;
        outside := 0;
    ELSIF list_window = 'upcoming' THEN
        inside := listed - before;
        outside := before;
    ELSIF list_window = 'past' THEN
        inside := before;
        outside := listed - before;
    ELSE
        RAISE EXCEPTION 'no list %', list_window;
    END IF;
    IF search_key IS NOT NULL THEN
        keyed := coalesce((SELECT events FROM search_key_counts WHERE key = search_key), 0);
    END IF;
    IF search_key IS NOT NULL AND outside = 0 THEN
        total := keyed;
    ELSIF known_count IS NOT NULL AND version = known_version AND before = known_before THEN
        total := CASE WHEN search_key IS NOT NULL AND outside < inside THEN keyed - known_count
                      ELSE known_count END;
    ELSE
        RETURN;
    END IF;
    IF page_offset >= total THEN
        RETURN;
    END IF;
    -- The rows a walk reads to the end of the page, when the matches are spread over the list (the
    -- offset is below the total, itself at most the side's events: no overflow).
    expected := (page_offset + page_limit) * inside / greatest(total, 1);
    IF expected * 2 < total AND (search_key IS NULL OR expected <= 50) THEN
        -- The walk's plan is kept for every value, and the planner guesses a bound it cannot see at a tenth
        -- of the events: on a table not stored in time order it could read them all and sort them instead.
        PERFORM set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true);
        IF list_window = 'all' THEN
            ids := array(SELECT id FROM (SELECT id, event_time, search_vector FROM events
                                         ORDER BY event_time, id LIMIT expected * 4) AS walked
                         WHERE search_vector @@ matching
                         ORDER BY event_time, id LIMIT page_limit OFFSET page_offset);
        ELSIF list_window = 'upcoming' THEN
            ids := array(SELECT id FROM (SELECT id, event_time, search_vector FROM events
                                         WHERE event_time >= instant
                                         ORDER BY event_time, id LIMIT expected * 4) AS walked
                         WHERE search_vector @@ matching
                         ORDER BY event_time, id LIMIT page_limit OFFSET page_offset);
        ELSE
            ids := array(SELECT id FROM (SELECT id, event_time, search_vector FROM events
                                         WHERE event_time < instant
                                         ORDER BY event_time DESC, id DESC LIMIT expected * 4) AS walked
                         WHERE search_vector @@ matching
                         ORDER BY event_time DESC, id DESC LIMIT page_limit OFFSET page_offset);
        END IF;
        PERFORM set_config('enable_seqscan', seqscans, true), set_config('enable_bitmapscan', bitmaps, true);
    END IF;
    IF ids IS NOT NULL AND cardinality(ids) = least(page_limit, total - page_offset) THEN
        -- The walk found the page.
        NULL;
    ELSIF search_key IS NOT NULL THEN
        ids := search_key_page(search_key, keyed, matching,
                               CASE WHEN list_window = 'all' THEN NULL ELSE instant END,
                               list_window = 'past', page_offset, page_limit);
    ELSE
        -- Materialized, so the planner cannot instead walk the time index filtering every event.
        EXECUTE format('WITH matches AS MATERIALIZED (SELECT id, event_time FROM events '
                       'WHERE search_vector @@ $1 AND %s) '
                       'SELECT array(SELECT id FROM matches ORDER BY %s LIMIT $3 OFFSET $4)',
                       CASE list_window WHEN 'all' THEN 'true' WHEN 'upcoming' THEN 'event_time >= $2'
                                        ELSE 'event_time < $2' END,
                       CASE WHEN list_window = 'past' THEN 'event_time DESC, id DESC'
                            ELSE 'event_time, id' END)
            INTO STRICT ids USING matching, instant, page_limit, page_offset;
    END IF;
    RETURN QUERY SELECT total, events FROM unnest(ids) WITH ORDINALITY AS page (page_id, at)
                 JOIN events ON events.id = page.page_id ORDER BY page.at;
END $$;
