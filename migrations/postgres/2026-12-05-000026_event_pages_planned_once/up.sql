-- A page of the event list (without a search) in one PL/pgSQL function, which keeps the plan of each of
-- its statements for the session: the same statements sent by Plaza, with the SQL functions inlined into
-- them, were parsed and planned at every request, and at 100,000 events that planning was most of a
-- page's cost inside PostgreSQL (pgbench, one client: 0.35 ms a first page, 0.17 ms planned once; a page
-- at offset 50,000 0.83 -> 0.31 ms; docs/performance.md, issue 22).
--
-- `force_generic_plan`: with a bound instant PostgreSQL would plan every call again for its value (the
-- plan made for a value always looks cheaper by its own estimate), which is the planning this saves.
-- Every statement here walks an index from a bound, the same plan for every value. The setting holds for
-- the functions these call (`event_page`), and for the searches' `events_before`.

-- How many events come before the instant `t` in the list (all of them earlier than `t`).
CREATE OR REPLACE FUNCTION events_before(t TIMESTAMP) RETURNS BIGINT LANGUAGE plpgsql STABLE PARALLEL SAFE
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    RETURN coalesce((SELECT sum(events) FROM event_time_buckets WHERE bucket < event_bucket(t)), 0)::BIGINT
         + (SELECT count(*) FROM events WHERE event_time >= event_bucket_start(event_bucket(t)) AND event_time < t);
END $$;

-- The total of the list `list_window` ('all', 'upcoming' from `instant`, or 'past', latest first) and the
-- ids of `page_limit` of its events from the `page_offset`-th, in list order. Deep pages and both sides
-- of the instant go through the bucket counts (`event_page`, `events_before`): no page steps over more
-- than one bucket's events, and no total counts more than one bucket's.
CREATE FUNCTION event_list_page(list_window TEXT, instant TIMESTAMP, page_limit BIGINT, page_offset BIGINT,
    OUT total BIGINT, OUT ids BIGINT[]) LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    before BIGINT;
BEGIN
    IF list_window = 'all' THEN
        total := (SELECT events FROM event_total);
        ids := event_page(page_offset, page_limit);
        RETURN;
    END IF;
    before := events_before(instant);
    IF list_window = 'upcoming' THEN
        -- The upcoming events follow the `before` events earlier than the instant.
        total := (SELECT events FROM event_total) - before;
        IF page_offset < 1000 THEN
            ids := array(SELECT id FROM events WHERE event_time >= instant
                         ORDER BY event_time, id LIMIT page_limit OFFSET page_offset);
        ELSIF page_offset >= total THEN
            ids := '{}';
        ELSE
            ids := event_page(before + page_offset, page_limit);
        END IF;
    ELSIF list_window = 'past' THEN
        -- The past, latest first: a deep page is the same slice of the list read forwards, then turned
        -- round.
        total := before;
        IF page_offset < 1000 THEN
            ids := array(SELECT id FROM events WHERE event_time < instant
                         ORDER BY event_time DESC, id DESC LIMIT page_limit OFFSET page_offset);
        ELSIF page_offset >= before THEN
            ids := '{}';
        ELSE
            ids := array(SELECT id FROM
                         unnest(event_page(greatest(before - page_offset - page_limit, 0),
                                           least(page_limit, greatest(before - page_offset, 0))))
                           WITH ORDINALITY AS page (id, n)
                         ORDER BY n DESC);
        END IF;
    ELSE
        RAISE EXCEPTION 'no list window %', list_window;
    END IF;
END $$;
