-- Mail waiting to be delivered. A row is written in the transaction of the change that causes the mail and
-- holds the whole mail, so a retry sends the same bytes; a delivered mail's row is deleted (its bodies may
-- hold one-time links), a mail given up after a day keeps its row, without bodies, as 'failed'.
-- `next_attempt_at` is when it is due: a claim moves it to the end of the claimer's lease, so a mail whose
-- claimer stopped is due again when the lease ends.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,
    created_at      TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'failed')),
    last_error      TEXT
);

-- The worker's question: which pending mails are due, oldest due first.
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';
-- Deleting an account deletes its mails.
CREATE INDEX mail_outbox_user ON mail_outbox (user_id) WHERE user_id IS NOT NULL;

-- Password reset tokens, by the digest of the token mailed (the token itself is never stored). Spending
-- one deletes every token of the account.
CREATE TABLE password_resets (
    token_digest TEXT PRIMARY KEY NOT NULL CHECK (length(token_digest) = 64),
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);

CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
