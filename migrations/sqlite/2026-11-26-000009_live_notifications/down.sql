DROP TABLE stream_tickets;
DROP INDEX notifications_since;
