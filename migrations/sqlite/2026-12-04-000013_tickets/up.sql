-- Tickets as records: every ticket a purchase sells, held by its buyer, with the secret code that admits
-- it. `events.tickets_sold` keeps counting them (active and checked in), plus whatever was sold before
-- this table existed: those stay counted, without rows. AUTOINCREMENT: a ticket id is never reused.
CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    holder_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled', 'checked_in')),
    code          TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 22 AND 64),
    created_at    TIMESTAMP NOT NULL,
    cancelled_at  TIMESTAMP,
    checked_in_at TIMESTAMP,
    -- What the scan that checked it in sent: the same nonce again is that scan retried, not a second one.
    check_in_nonce TEXT CHECK (length(check_in_nonce) BETWEEN 1 AND 100),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    CHECK ((status = 'checked_in') = (checked_in_at IS NOT NULL)),
    CHECK (check_in_nonce IS NULL OR checked_in_at IS NOT NULL)
);

-- "My tickets", newest first, all or by status.
CREATE INDEX tickets_by_holder ON tickets (holder_id, id);
CREATE INDEX tickets_by_holder_and_status ON tickets (holder_id, status, id);
-- An event's attendees. (A scan finds its ticket by the unique code.)
CREATE INDEX tickets_by_event ON tickets (event_id, id);

-- How many tickets each holder has in each status, kept by triggers in the same transaction as the
-- tickets: "my tickets" answers its total without counting a big holder's rows.
CREATE TABLE ticket_counts (
    holder_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status    TEXT NOT NULL,
    count     INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (holder_id, status)
) WITHOUT ROWID;

CREATE TRIGGER ticket_counts_on_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_counts (holder_id, status, count) VALUES (NEW.holder_id, NEW.status, 1)
    ON CONFLICT (holder_id, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER ticket_counts_on_status AFTER UPDATE OF status ON tickets WHEN OLD.status <> NEW.status BEGIN
    UPDATE ticket_counts SET count = count - 1 WHERE holder_id = OLD.holder_id AND status = OLD.status;
    INSERT INTO ticket_counts (holder_id, status, count) VALUES (NEW.holder_id, NEW.status, 1)
    ON CONFLICT (holder_id, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER ticket_counts_on_delete AFTER DELETE ON tickets BEGIN
    UPDATE ticket_counts SET count = count - 1 WHERE holder_id = OLD.holder_id AND status = OLD.status;
END;

-- How many tickets each event has, in any status (its attendee list's total), kept the same way.
CREATE TABLE event_ticket_totals (
    event_id INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    count    INTEGER NOT NULL CHECK (count >= 0)
);

CREATE TRIGGER event_ticket_totals_on_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO event_ticket_totals (event_id, count) VALUES (NEW.event_id, 1)
    ON CONFLICT (event_id) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER event_ticket_totals_on_delete AFTER DELETE ON tickets BEGIN
    UPDATE event_ticket_totals SET count = count - 1 WHERE event_id = OLD.event_id;
END;
