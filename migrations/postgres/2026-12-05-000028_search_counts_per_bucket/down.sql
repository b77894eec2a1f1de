DROP FUNCTION search_key_page(TEXT, BIGINT, TSQUERY, TIMESTAMP, BOOLEAN, BIGINT, BIGINT);
DROP TRIGGER search_key_buckets_change ON events;
DROP FUNCTION search_key_buckets_change();
DROP TRIGGER search_key_buckets_delete ON events;
DROP TRIGGER search_key_buckets_insert ON events;
DROP FUNCTION search_key_buckets_follow();
DROP TABLE search_key_buckets;
