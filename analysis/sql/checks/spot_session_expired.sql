-- rule: spot-session-used-after-expiry
-- doc: SPOT Public API: Making A Request: "Sessions expire after 20 minutes of inactivity. Each request will reset the expiration timer for the session id provided."
-- severity: error
-- The GetToken or Login that issued a session counts as its first use (spot_session_uses).
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('session %s used again after %s idle (last %s by %s at %s)', session, started_at - previous_at,
              CASE WHEN previous_issued THEN 'issued' ELSE 'used' END, previous_request_type,
              strftime(previous_at, '%H:%M:%S')) AS detail
FROM spot_session_uses
WHERE NOT issued AND started_at - previous_at > INTERVAL 20 MINUTE
