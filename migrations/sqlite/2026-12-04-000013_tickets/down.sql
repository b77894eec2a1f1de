DROP TABLE ticket_counts;
DROP TABLE tickets;
