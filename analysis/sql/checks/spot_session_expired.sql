-- rule: spot-session-used-after-expiry
-- doc: XplorSPOT API: a session expires after 20 minutes without requests; get a new one
-- severity: error
WITH uses AS (
    SELECT exchange_id, started_at, request_type, session,
           lag(started_at) OVER (PARTITION BY session ORDER BY started_at) AS previous_use
    FROM spot WHERE session IS NOT NULL AND request_type NOT IN ('GetToken')
)
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('session %s used again after %s idle', session, started_at - previous_use) AS detail
FROM uses
WHERE started_at - previous_use > INTERVAL 20 MINUTE
