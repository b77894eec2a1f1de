-- User names and e-mail addresses are unique without regard to the case of ASCII letters only, exactly as
-- SQLite's NOCASE and the domain's rule (plaza_domain::login::name_key). PostgreSQL's lower() also folds
-- other letters (U+212A KELVIN SIGN to k, U+0130 to i), which made lookalike spellings log in as, and
-- collide with, a different account. translate() folds A-Z and nothing else, and is immutable.
DROP INDEX users_username_unique;
DROP INDEX users_email_unique;
CREATE UNIQUE INDEX users_username_unique
    ON users (translate(username, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'));
CREATE UNIQUE INDEX users_email_unique
    ON users (translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'));
