DROP FUNCTION event_search_page(TEXT, TIMESTAMP, TEXT, TSQUERY, BIGINT, BIGINT, BIGINT, BIGINT, BIGINT);

-- search_key_page as migration 2026-12-05-000028 made it.
CREATE OR REPLACE FUNCTION search_key_page(search_key TEXT, key_events BIGINT, matching TSQUERY, instant TIMESTAMP,
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
