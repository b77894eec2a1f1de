-- Deep pages and the two sides of an instant without stepping over every event before them: the events
-- counted per bucket of 65,536 seconds (about 18 hours) of their time, kept by a trigger in the
-- transaction of the change. A page at offset N adds up the bucket counts (a few hundred rows) to find
-- the bucket holding the N-th event, then steps over at most that bucket's events; "upcoming" and "past"
-- are counted as whole buckets plus the part of one bucket before the instant. (SQLite does the same
-- with its positions, migrations/sqlite/2026-11-26-000006.)

-- No event may be written between counting the existing ones and creating the triggers (another
-- instance still serving during a rolling deploy): it would never be counted.
LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE;

CREATE FUNCTION event_bucket(t TIMESTAMP) RETURNS BIGINT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN floor(extract(epoch FROM t) / 65536)::BIGINT;

CREATE FUNCTION event_bucket_start(bucket BIGINT) RETURNS TIMESTAMP
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN TIMESTAMP '1970-01-01' + make_interval(secs => bucket * 65536);

CREATE TABLE event_time_buckets (
    bucket BIGINT PRIMARY KEY,
    events BIGINT NOT NULL
);
INSERT INTO event_time_buckets (bucket, events)
SELECT event_bucket(event_time), count(*) FROM events GROUP BY 1;

-- Inserts and deletes: one statement's rows added up per bucket, applied in bucket order (these
-- statements hold the `event_total` row already, through its own trigger, so they take buckets one
-- transaction at a time).
CREATE FUNCTION event_time_buckets_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO event_time_buckets AS counted (bucket, events)
        SELECT event_bucket(event_time), count(*) FROM new_rows GROUP BY 1 ORDER BY 1
        ON CONFLICT (bucket) DO UPDATE SET events = counted.events + excluded.events;
    ELSE
        UPDATE event_time_buckets AS counted SET events = counted.events - gone.events
        FROM (SELECT event_bucket(event_time) AS bucket, count(*) AS events FROM old_rows GROUP BY 1) gone
        WHERE counted.bucket = gone.bucket;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER event_time_buckets_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_time_buckets_follow();
CREATE TRIGGER event_time_buckets_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION event_time_buckets_follow();

-- An event moved to another bucket (an edit of its time; sales and other updates never get here): the
-- two buckets in ascending order. Two such moves that meet in opposite orders are a deadlock PostgreSQL
-- breaks, and the write is tried again (infra-postgres `Database::write`).
CREATE FUNCTION event_time_buckets_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_time_buckets AS counted (bucket, events)
    SELECT bucket, change FROM (VALUES (event_bucket(OLD.event_time), -1), (event_bucket(NEW.event_time), 1))
        AS moved (bucket, change)
    ORDER BY bucket
    ON CONFLICT (bucket) DO UPDATE SET events = counted.events + excluded.events;
    RETURN NULL;
END $$;
CREATE TRIGGER event_time_buckets_move AFTER UPDATE OF event_time ON events
    FOR EACH ROW WHEN (event_bucket(OLD.event_time) <> event_bucket(NEW.event_time))
    EXECUTE FUNCTION event_time_buckets_move();

-- How many events come before the instant `t` in the list (all of them earlier than `t`).
CREATE FUNCTION events_before(t TIMESTAMP) RETURNS BIGINT LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce((SELECT sum(events) FROM event_time_buckets WHERE bucket < event_bucket(t)), 0)::BIGINT
     + (SELECT count(*) FROM events WHERE event_time >= event_bucket_start(event_bucket(t)) AND event_time < t);

-- The ids of `page_limit` events from the `page_offset`-th (counting from 0) of the list in its order
-- (time, then id). Below 1,000 the index is stepped over directly; deeper, the bucket counts say where to start.
CREATE FUNCTION event_page(page_offset BIGINT, page_limit BIGINT) RETURNS BIGINT[] LANGUAGE plpgsql STABLE AS $$
DECLARE
    start_bucket BIGINT;
    skipped      BIGINT;
BEGIN
    IF page_offset < 1000 THEN
        RETURN array(SELECT id FROM events ORDER BY event_time, id LIMIT page_limit OFFSET page_offset);
    END IF;
    SELECT counted.bucket, counted.preceding INTO start_bucket, skipped
    FROM (SELECT bucket, events, sum(events) OVER (ORDER BY bucket) - events AS preceding
          FROM event_time_buckets) counted
    WHERE counted.preceding + counted.events > page_offset
    ORDER BY counted.bucket LIMIT 1;
    IF start_bucket IS NULL THEN
        RETURN '{}';
    END IF;
    RETURN array(SELECT id FROM events WHERE event_time >= event_bucket_start(start_bucket)
                 ORDER BY event_time, id LIMIT page_limit OFFSET page_offset - skipped);
END $$;
