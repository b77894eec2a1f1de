DROP TABLE ticket_counts;
DROP TABLE tickets;
DROP FUNCTION ticket_counts_follow();
