-- An account's address is verified once a link mailed to it was opened (NULL: not verified). Accounts from
-- before verification existed start unverified, and can ask for a link.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;

-- Mail about notifications: 'off' (the default), 'each' (at most one mail per 10 minutes, listing what
-- came since the last), 'daily' (a digest at 08:00 in `time_zone`, an IANA name).
ALTER TABLE users ADD COLUMN email_notifications TEXT NOT NULL DEFAULT 'off'
    CHECK (email_notifications IN ('off', 'each', 'daily'));
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
-- The last notification of the account that mail has covered (mailed, or read before its mail was due).
ALTER TABLE users ADD COLUMN notification_mail_cursor BIGINT NOT NULL DEFAULT 0;
-- When the next notification mail of the account is due (NULL: none is waiting), and when one last went.
ALTER TABLE users ADD COLUMN notification_mail_due_at TIMESTAMP;
ALTER TABLE users ADD COLUMN notification_mailed_at TIMESTAMP;
CREATE INDEX users_notification_mail_due ON users (notification_mail_due_at)
    WHERE notification_mail_due_at IS NOT NULL;

-- How far the mail worker has looked through the notifications (one row): the notifications after it may
-- make a mail due, or be ticket news to mail at once.
CREATE TABLE mail_scan (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    last_notification_id BIGINT NOT NULL
);
-- Mail starts with what is written from now on, not with every notification ever written.
INSERT INTO mail_scan (id, last_notification_id) SELECT 1, coalesce(max(id), 0) FROM notifications;

-- When a mail's one-time link stops working (it is given up then, and its bodies dropped, rather than
-- kept or sent late); mail headers and an attachment some mails carry: List-Unsubscribe's one-click
-- address (RFC 8058) and, for ticket mails, the event as an iCalendar file.
ALTER TABLE mail_outbox ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE mail_outbox ADD COLUMN unsubscribe_url TEXT;
ALTER TABLE mail_outbox ADD COLUMN attachment_name TEXT;
ALTER TABLE mail_outbox ADD COLUMN attachment_type TEXT;
ALTER TABLE mail_outbox ADD COLUMN attachment_body TEXT;

-- E-mail verification tokens, by digest, each for the address it was mailed to: a link for an address the
-- account no longer has verifies nothing.
CREATE TABLE email_verifications (
    token_digest TEXT PRIMARY KEY CHECK (length(token_digest) = 64),
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX email_verifications_user ON email_verifications (user_id, created_at);
