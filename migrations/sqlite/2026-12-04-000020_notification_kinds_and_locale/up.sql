-- What a notification is about, in parts a client puts into words in its reader's language (`message`
-- keeps the English sentence for older clients). A kind's parts: comment (event_name), places_given
-- (event_name, quantity), event_moved (event_name, event_time), event_cancelled (event_name); message: none.
ALTER TABLE notifications ADD COLUMN kind TEXT NOT NULL DEFAULT 'message'
    CHECK (kind IN ('message', 'comment', 'places_given', 'event_moved', 'event_cancelled'));
ALTER TABLE notifications ADD COLUMN event_name TEXT;
ALTER TABLE notifications ADD COLUMN quantity INTEGER;
-- (SQLite cannot add a table constraint to a table that exists: the check of the parts rides on the
-- last column.)
ALTER TABLE notifications ADD COLUMN event_time TIMESTAMP CHECK (
    (kind = 'message' OR event_name IS NOT NULL)
    AND ((kind = 'places_given') = (quantity IS NOT NULL))
    AND ((kind = 'event_moved') = (event_time IS NOT NULL)));
-- Comment notifications written before kinds existed become comments on their event, under its name of
-- today; the others stay messages, shown by their English text.
UPDATE notifications
SET kind = 'comment', event_name = (SELECT name FROM events WHERE events.id = notifications.event_id)
WHERE event_id IS NOT NULL AND substr(message, 1, length(sender) + 15) = sender || ' commented on "'
  AND EXISTS (SELECT 1 FROM events WHERE events.id = notifications.event_id);

-- The language a user reads Plaza in: their mails (once there are mails) and, through the client, their
-- notifications.
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'zh-CN'));
