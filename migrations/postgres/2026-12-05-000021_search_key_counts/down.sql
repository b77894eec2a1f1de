DROP TRIGGER search_key_counts_change ON events;
DROP FUNCTION search_key_counts_change();
DROP TRIGGER search_key_counts_delete ON events;
DROP TRIGGER search_key_counts_insert ON events;
DROP FUNCTION search_key_counts_follow();
DROP TABLE search_key_counts;
DROP FUNCTION search_keys(TEXT[]);
