DROP FUNCTION event_list_page(TEXT, TIMESTAMP, BIGINT, BIGINT);

CREATE OR REPLACE FUNCTION events_before(t TIMESTAMP) RETURNS BIGINT LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce((SELECT sum(events) FROM event_time_buckets WHERE bucket < event_bucket(t)), 0)::BIGINT
     + (SELECT count(*) FROM events WHERE event_time >= event_bucket_start(event_bucket(t)) AND event_time < t);
