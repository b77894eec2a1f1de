DROP TABLE notifications;
DROP TABLE comments;
DROP TABLE posts;
DROP TRIGGER events_fts_after_update;
DROP TRIGGER events_fts_after_delete;
DROP TRIGGER events_fts_after_insert;
DROP TABLE events_fts;
DROP TABLE events;
