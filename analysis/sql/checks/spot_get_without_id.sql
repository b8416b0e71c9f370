-- rule: spot-get-action-without-id
-- doc: SPOT Public API: Common Error Messages: "Missing ID" "Attempting to use a GET request for certain anonymous functions but the ID parameter (account specific) was not provided."
-- severity: warning
-- Warning: the docs do not list which GET functions are anonymous; a GET with neither an ID
-- nor a SessionID is taken for one.
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('GET %s (%s) was sent without the ID parameter or a SessionID', path,
              coalesce(request_type, 'no RequestType')) AS detail
FROM spot
WHERE method = 'GET' AND NOT sends_id AND session IS NULL
