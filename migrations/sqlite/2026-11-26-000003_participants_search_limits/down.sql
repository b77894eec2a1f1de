DROP TABLE search_index_state;
DROP TABLE events_search;

CREATE VIRTUAL TABLE events_fts USING fts5 (
    name,
    description,
    content = 'events',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO events_fts (events_fts) VALUES ('rebuild');

CREATE TRIGGER events_fts_after_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;

CREATE TRIGGER events_fts_after_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, name, description)
    VALUES ('delete', old.id, old.name, old.description);
END;

CREATE TRIGGER events_fts_after_update AFTER UPDATE OF name, description ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, name, description)
    VALUES ('delete', old.id, old.name, old.description);
    INSERT INTO events_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;

DROP INDEX notifications_direct_by_sender;
CREATE INDEX notifications_by_sender ON notifications (sender_id);

DROP TABLE event_participants;
