-- rule: spot-method-not-post-or-get
-- doc: SPOT Public API: Common Error Messages: "Invalid http method." "Only POST and GET methods are allowed."
-- severity: error
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s %s: only POST and GET are allowed', method, path) AS detail
FROM spot
WHERE method NOT IN ('POST', 'GET')
