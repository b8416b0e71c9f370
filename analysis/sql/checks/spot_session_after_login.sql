-- rule: spot-session-reused-after-login
-- doc: SPOT Public API: Making A Request, SessionID: "Once the user performs a login, replace the SessionID with the new one returned from login."
-- severity: error
SELECT r.exchange_id, r.started_at, 'spot' AS vendor, r.request_type AS operation,
       printf('%s sent session %s, which the Login at %s replaced with %s', r.request_type, r.session,
              strftime(l.started_at, '%H:%M:%S'), l.new_session) AS detail
FROM spot l JOIN spot r ON r.session = l.session AND r.started_at > l.started_at AND r.exchange_id <> l.exchange_id
WHERE l.request_type = 'Login' AND l.outcome = 'ok' AND l.new_session IS NOT NULL
  AND l.new_session IS DISTINCT FROM l.session
QUALIFY row_number() OVER (PARTITION BY r.exchange_id ORDER BY l.started_at) = 1
