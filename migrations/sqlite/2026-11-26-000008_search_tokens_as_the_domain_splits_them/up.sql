-- The domain's search rule (plaza_domain::search) already folds the text and splits it into words; the
-- index must take those words exactly as given. unicode61 split them again by its own idea of a letter,
-- and some characters Rust counts as letters (🅿, U+1F17F, say) were separators to it: such a word was
-- counted in search_counts but not indexed, so a total and its page disagreed. The ascii tokenizer splits
-- only at ASCII characters that are not letters or digits, which the domain's words never contain.
DROP TABLE events_search;
CREATE VIRTUAL TABLE events_search USING fts5 (
    tokens,
    content = '',
    contentless_delete = 1,
    detail = none,
    prefix = '1 2 3 4 5 6',
    tokenize = 'ascii'
);

-- The index and the counts are rebuilt at the next start-up.
UPDATE search_index_state SET version = 0 WHERE id = 1;
