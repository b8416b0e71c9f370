-- rule: spot-post-body-missing
-- doc: SPOT Public API: Common Error Messages: "Body is missing" "Attempting a POST with an empty body."
-- severity: error
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('POST %s was sent with an empty body', path) AS detail
FROM spot
WHERE method = 'POST' AND body_size = 0
