DROP TRIGGER comment_buckets_after_delete;
DROP TRIGGER comment_buckets_after_insert;
DROP TABLE comment_buckets;
DROP INDEX comments_in_sequence;
CREATE INDEX comments_by_event ON comments (event_id, created_at, id);
ALTER TABLE comments DROP COLUMN seq;
