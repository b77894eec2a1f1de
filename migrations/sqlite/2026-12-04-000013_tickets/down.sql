DROP TABLE event_ticket_totals;
DROP TABLE ticket_counts;
DROP TABLE tickets;
