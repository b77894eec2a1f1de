-- A comment that notifies 50 people wrote 50 rows here, and each row ran three foreign-key checks and a
-- trigger that counted it in its recipient's inbox row: per comment 150 checks and 50 upserts, each a query
-- with its own executor start-up — 43% (the checks) and 34% (the trigger) of the CPU of the backend that
-- writes an event's comments (perf, issue 22), and comments of one event are written one batch after the
-- other. All of it is now done once for all the rows of a statement by the one function that writes
-- notifications, `notifications::insert_all`:
--
-- * What the keys checked: every recipient and sender is an account (read in one query; accounts are never
--   removed, only marked deleted, so no lock is needed), and every event named is there, locked
--   `FOR KEY SHARE` until commit as a key's check locks it. The one action of these keys that could fire,
--   `ON DELETE SET NULL` of `event_id`, is a trigger on `events` below; `ON DELETE CASCADE` of the accounts
--   never fired (account deletion erases the inbox itself).
-- * What the trigger did: each recipient's inbox row is counted in one upsert for the whole batch — once
--   per recipient, however many of the batch's comments reach them — in ascending recipient order, before
--   the rows take their ids (`nextval` in the insert itself). That upsert also takes the lock that hands one
--   recipient's ids out in commit order (migration 2026-11-27-000004).
--
-- The trigger stays for rows that come without an id: those of an instance of the release before, during
-- a rolling upgrade, which are then counted and locked as they always were. Its `WHEN` is checked without
-- calling the function, so rows that bring their id cost nothing more.
--
-- SQLite keeps its keys and triggers: there a check is an index probe, and one writer takes ids in turn.
ALTER TABLE notifications
    DROP CONSTRAINT notifications_sender_id_fkey,
    DROP CONSTRAINT notifications_owner_id_fkey,
    DROP CONSTRAINT notifications_event_id_fkey;

DROP TRIGGER notifications_id_in_commit_order ON notifications;
CREATE TRIGGER notifications_id_in_commit_order BEFORE INSERT ON notifications
    FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION notifications_id_in_commit_order();

-- A notification outlives the event it was about (what `ON DELETE SET NULL` did), whichever release or
-- statement deletes the event. Writers of notifications lock the event `FOR KEY SHARE` first, and a
-- deletion waits for them: none names the event after this.
CREATE FUNCTION notifications_outlive_their_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE notifications SET event_id = NULL WHERE event_id = OLD.id;
    RETURN NULL;
END $$;

CREATE TRIGGER notifications_outlive_their_event AFTER DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION notifications_outlive_their_event();
