DROP INDEX modlog_by_target;
DROP TABLE reports;
DROP TABLE removed_events;
DROP TABLE removed_posts;
DROP TABLE removed_comments;
DELETE FROM modlog WHERE action = 'remove';
ALTER TABLE modlog DROP CONSTRAINT modlog_action_check;
ALTER TABLE modlog ADD CONSTRAINT modlog_action_check CHECK (action IN ('set_role', 'ban', 'unban'));
