-- Failed logins, counted where every instance sees them (plaza_domain::login). A failure is recorded
-- before the password is checked and removed again if it was not one; rows older than the window are
-- swept by the instances as they record new ones.
CREATE TABLE login_failures (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client TEXT NOT NULL,
    name   TEXT NOT NULL,
    at     TIMESTAMP NOT NULL
);

CREATE INDEX login_failures_by_name ON login_failures (client, name, at);
CREATE INDEX login_failures_by_client ON login_failures (client, at);
CREATE INDEX login_failures_by_age ON login_failures (at);
