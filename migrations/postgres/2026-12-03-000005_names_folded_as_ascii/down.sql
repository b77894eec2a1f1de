DROP INDEX users_username_unique;
DROP INDEX users_email_unique;
CREATE UNIQUE INDEX users_username_unique ON users (lower(username));
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));
