DROP FUNCTION comment_seq_at(BIGINT, BIGINT);
DROP TRIGGER comments_numbered ON comments;
DROP FUNCTION comments_numbered();
DROP TRIGGER comment_buckets_follow ON comments;
DROP FUNCTION comment_buckets_follow();
DROP TABLE comment_buckets;
DROP INDEX comments_in_sequence;
CREATE INDEX comments_by_event ON comments (event_id, created_at, id);
ALTER TABLE comments DROP COLUMN seq;
