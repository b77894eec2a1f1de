-- A number every change of the search index raises (an event added, deleted, or its text or time changed),
-- in the change's own transaction: a count of a several-word search is remembered in memory under the
-- number it was counted at, and answered again only while the number is the same.
ALTER TABLE event_total ADD COLUMN search_version BIGINT NOT NULL DEFAULT 0;
