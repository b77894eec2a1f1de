DROP TABLE events_search;
CREATE VIRTUAL TABLE events_search USING fts5 (
    tokens,
    content = '',
    contentless_delete = 1,
    detail = none,
    prefix = '1 2 3 4 5 6',
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
);
UPDATE search_index_state SET version = 0 WHERE id = 1;
