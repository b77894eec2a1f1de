-- A discussion's comments numbered 1, 2, 3, … in list order (created_at, then id), as on SQLite
-- (migrations/sqlite/2026-11-26-000007), so that a page deep in a long discussion is found from a few
-- bucket counts instead of by stepping over every comment before it. New comments take the next number
-- of their event, under the lock of the event's row, and a time no earlier than the comment before them
-- (crates/infra-postgres/src/comments.rs), so the numbers keep following the list order.
ALTER TABLE comments ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
UPDATE comments SET seq = numbered.seq
FROM (SELECT id, row_number() OVER (PARTITION BY event_id ORDER BY created_at, id) AS seq FROM comments) AS numbered
WHERE numbered.id = comments.id;
ALTER TABLE comments ALTER COLUMN seq DROP DEFAULT;

-- An instance of the release before this one (during a rolling upgrade) writes comments without a
-- number: one is given here, the next of the event's. That release also locks the event's row before it
-- writes a comment, so two such comments cannot take the same number.
CREATE FUNCTION comments_numbered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seq := coalesce((SELECT max(seq) FROM comments WHERE event_id = NEW.event_id), 0) + 1;
    RETURN NEW;
END $$;
CREATE TRIGGER comments_numbered BEFORE INSERT ON comments
    FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION comments_numbered();

DROP INDEX comments_by_event;
CREATE UNIQUE INDEX comments_in_sequence ON comments (event_id, seq);

-- How many comments of an event are numbered in each run of 256 numbers (fewer than 256 once some are
-- deleted). SQLite's runs are of 64, added up in Rust; here the runs are added up by the function below,
-- whose cost is mostly per run (pgbench, one client, the 5,000-comment discussion at offset 4,000: 64 a
-- run 0.12 ms, 256 a run 0.11 ms; the 27,000-comment one at 27,000: 0.27 ms and 0.14 ms), while the
-- comments of one run are stepped over in the index alone. `INT`: its sum is a BIGINT, not a NUMERIC.
CREATE TABLE comment_buckets (
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bucket   BIGINT NOT NULL,
    comments INT NOT NULL,
    PRIMARY KEY (event_id, bucket)
);
INSERT INTO comment_buckets (event_id, bucket, comments)
SELECT event_id, seq >> 8, count(*) FROM comments GROUP BY event_id, seq >> 8;

CREATE FUNCTION comment_buckets_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO comment_buckets (event_id, bucket, comments) VALUES (NEW.event_id, NEW.seq >> 8, 1)
        ON CONFLICT (event_id, bucket) DO UPDATE SET comments = comment_buckets.comments + 1;
    ELSE
        -- The update waits for another deletion's in the same bucket, so the emptied row is always seen.
        UPDATE comment_buckets SET comments = comments - 1
        WHERE event_id = OLD.event_id AND bucket = OLD.seq >> 8;
        DELETE FROM comment_buckets
        WHERE event_id = OLD.event_id AND bucket = OLD.seq >> 8 AND comments <= 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER comment_buckets_follow AFTER INSERT OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION comment_buckets_follow();

-- The number of the comment at `at_offset` (0 the first) in the list of `of_event`, or NULL past its
-- last. From offset 256 on, the bucket holding it is found from the bucket counts first, so at most one
-- bucket's comments are stepped over (in the index alone). The page statement reads its comments from this number on, along
-- the unique index: one prepared statement (crates/infra-postgres/src/comments.rs), its plan kept.
CREATE FUNCTION comment_seq_at(of_event BIGINT, at_offset BIGINT) RETURNS BIGINT LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    from_seq BIGINT := 0;
    skip BIGINT := at_offset;
BEGIN
    IF at_offset < 0 THEN
        RETURN NULL;
    END IF;
    IF at_offset >= 256 THEN
        SELECT counted.bucket << 8, at_offset - counted.before INTO from_seq, skip
        FROM (SELECT bucket, comments,
                     sum(comments) OVER (ORDER BY bucket) - comments AS before
              FROM comment_buckets WHERE event_id = of_event ORDER BY bucket) AS counted
        WHERE counted.before + counted.comments > at_offset
        ORDER BY counted.bucket LIMIT 1;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN (SELECT seq FROM comments WHERE event_id = of_event AND seq >= from_seq
            ORDER BY seq OFFSET skip LIMIT 1);
END $$;
