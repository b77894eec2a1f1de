DROP TABLE event_participants;
DROP TABLE notifications;
DROP TABLE comments;
DROP TABLE posts;
DROP TABLE events;
DROP TABLE users;
