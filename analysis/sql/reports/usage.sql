-- usage: calls per vendor, operation and day, with outcomes and the distinct places served
-- (SpotOn locations, XGL sites).
WITH places AS (
    SELECT exchange_id, location_id AS place FROM spoton
    UNION ALL
    SELECT exchange_id, site_ids FROM xgl
)
SELECT CAST(e.started_at AS DATE) AS day, e.vendor, e.operation,
       count(*) AS calls,
       count(*) FILTER (WHERE e.outcome = 'ok') AS ok,
       count(*) FILTER (WHERE e.outcome = 'failed') AS failed,
       count(*) FILTER (WHERE e.outcome = 'error') AS errors,
       count(DISTINCT p.place) AS places
FROM exchanges e LEFT JOIN places p USING (exchange_id)
GROUP BY ALL
ORDER BY day, e.vendor, calls DESC, e.operation;
