DROP TABLE events_search;
CREATE VIRTUAL TABLE events_search USING fts5 (
    tokens,
    content = '',
    contentless_delete = 1,
    detail = none,
    prefix = '1 2 3',
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
);
DROP TRIGGER event_total_after_delete;
DROP TRIGGER event_total_after_insert;
DROP TABLE event_total;
DROP TABLE search_counts;
DROP TABLE event_order;
UPDATE search_index_state SET version = 0 WHERE id = 1;
