-- Every event gets a position: an integer that sorts like the list order (event_time, then id), and the
-- search index stores events under their position instead of their id. A search then reads its matches
-- already in list order and stops after one page, whether its words are rare or common, instead of
-- sorting every match. Positions leave gaps so that a new event usually fits between its neighbours;
-- when a gap runs out, Plaza spreads out the positions around it (see crates/infra-sqlite/src/order.rs).
CREATE TABLE event_order (
    event_id INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    position INTEGER NOT NULL UNIQUE
);

-- How many events hold each search key: `=token` for a whole token, and each prefix of up to twelve
-- characters of a token. A one-word search reads its total here instead of counting every match.
CREATE TABLE search_counts (
    key    TEXT PRIMARY KEY,
    events INTEGER NOT NULL
) WITHOUT ROWID;

-- How many events there are, kept by the triggers below, so the list's total is one row, not a scan.
CREATE TABLE event_total (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    events INTEGER NOT NULL
);
INSERT INTO event_total (id, events) VALUES (1, (SELECT count(*) FROM events));

CREATE TRIGGER event_total_after_insert AFTER INSERT ON events BEGIN
    UPDATE event_total SET events = events + 1 WHERE id = 1;
END;

CREATE TRIGGER event_total_after_delete AFTER DELETE ON events BEGIN
    UPDATE event_total SET events = events - 1 WHERE id = 1;
END;

-- Prefix indexes for one to six characters: a search word of up to six letters reads one list, in
-- position order, instead of merging the lists of every word that starts with it.
DROP TABLE events_search;
CREATE VIRTUAL TABLE events_search USING fts5 (
    tokens,
    content = '',
    contentless_delete = 1,
    detail = none,
    prefix = '1 2 3 4 5 6',
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
);

-- The index, the positions and the counts are built at the next start-up.
UPDATE search_index_state SET version = 0 WHERE id = 1;
