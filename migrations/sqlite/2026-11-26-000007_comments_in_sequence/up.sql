-- A discussion's comments numbered 1, 2, 3, … in list order (created_at, then id), so that a page deep in a
-- long discussion is found from a few bucket counts instead of by stepping over every comment before it.
-- New comments take the next number of their event and a time no earlier than the comment before them
-- (crates/infra-sqlite/src/comments.rs), so the numbers keep following the list order.
ALTER TABLE comments ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE comments SET seq = numbered.seq
FROM (SELECT id, row_number() OVER (PARTITION BY event_id ORDER BY created_at, id) AS seq FROM comments) AS numbered
WHERE numbered.id = comments.id;

DROP INDEX comments_by_event;
CREATE UNIQUE INDEX comments_in_sequence ON comments (event_id, seq);

-- How many comments of an event are numbered in each run of 64 numbers (fewer than 64 once some are
-- deleted). The 6 is `BUCKET_BITS` in crates/infra-sqlite/src/comments.rs.
CREATE TABLE comment_buckets (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bucket   INTEGER NOT NULL,
    comments INTEGER NOT NULL,
    PRIMARY KEY (event_id, bucket)
) WITHOUT ROWID;
INSERT INTO comment_buckets (event_id, bucket, comments)
SELECT event_id, seq >> 6, count(*) FROM comments GROUP BY event_id, seq >> 6;

CREATE TRIGGER comment_buckets_after_insert AFTER INSERT ON comments BEGIN
    INSERT INTO comment_buckets (event_id, bucket, comments) VALUES (new.event_id, new.seq >> 6, 1)
    ON CONFLICT (event_id, bucket) DO UPDATE SET comments = comments + 1;
END;

CREATE TRIGGER comment_buckets_after_delete AFTER DELETE ON comments BEGIN
    UPDATE comment_buckets SET comments = comments - 1 WHERE event_id = old.event_id AND bucket = old.seq >> 6;
    DELETE FROM comment_buckets WHERE event_id = old.event_id AND bucket = old.seq >> 6 AND comments <= 0;
END;
