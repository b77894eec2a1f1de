-- Who has commented on each event: a comment's notifications go to the event's owner and these people, so
-- the fan-out reads this small set inside its write instead of scanning the whole discussion.
CREATE TABLE event_participants (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, user_id)
) WITHOUT ROWID;

CREATE INDEX event_participants_by_user ON event_participants (user_id);

INSERT INTO event_participants (event_id, user_id)
SELECT DISTINCT event_id, owner_id FROM comments;

-- Direct notifications per sender and time, for the sending limits; a comment's fan-out (event_id set)
-- does not pay for this index.
DROP INDEX notifications_by_sender;
CREATE INDEX notifications_direct_by_sender ON notifications (sender_id, created_at) WHERE event_id IS NULL;

-- Search moves from FTS5 over the raw text to FTS5 over tokens Plaza computes itself (folded words, and
-- Chinese and Japanese text as overlapping character pairs), so every store applies one rule. The index
-- holds only which events contain which tokens (detail=none), with prefix indexes so that a search for a
-- one- to three-letter prefix reads one list instead of merging every word that starts with it.
DROP TRIGGER events_fts_after_update;
DROP TRIGGER events_fts_after_delete;
DROP TRIGGER events_fts_after_insert;
DROP TABLE events_fts;

CREATE VIRTUAL TABLE events_search USING fts5 (
    tokens,
    content = '',
    contentless_delete = 1,
    detail = none,
    prefix = '1 2 3',
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
);

-- Which version of the token rule `events_search` was built with; Plaza rebuilds the index at start-up
-- when the rule it runs differs (0: not built yet).
CREATE TABLE search_index_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO search_index_state (id, version) VALUES (1, 0);
