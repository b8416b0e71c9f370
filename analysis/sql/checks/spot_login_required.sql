-- rule: spot-customer-function-without-login
-- doc: SPOT Public API: Common Response Object: "401 - Unauthorized - Attempting to use a function that requires a logged in customer"
-- severity: error
-- The docs do not list which functions need a logged-in customer: the vendor's 401 is the
-- evidence. A 401 on a session that had idled past 20 minutes is spot-session-used-after-expiry's.
WITH origin AS (
    SELECT session, arg_min(request_type, started_at) AS issued_by
    FROM spot_session_uses WHERE issued GROUP BY session
),
idle AS (
    SELECT exchange_id FROM spot_session_uses
    WHERE NOT issued AND started_at - previous_at > INTERVAL 20 MINUTE
)
SELECT s.exchange_id, s.started_at, 'spot' AS vendor, s.request_type AS operation,
       printf('%s answered 401, a function that requires a logged in customer: %s', s.request_type,
              CASE WHEN s.session IS NULL THEN 'it was sent without a SessionID'
                   WHEN o.issued_by = 'GetToken' THEN printf('session %s came from GetToken and no Login replaced it', s.session)
                   WHEN o.issued_by IS NULL THEN printf('session %s was not issued by a recorded Login', s.session)
                   ELSE printf('session %s (issued by %s); the vendor said: %s', s.session, o.issued_by,
                               coalesce(s.outcome_message, 'nothing'))
              END) AS detail
FROM spot s LEFT JOIN origin o ON o.session = s.session
WHERE s.status = 401 AND s.exchange_id NOT IN (SELECT exchange_id FROM idle)
