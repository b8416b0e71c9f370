-- rule: spot-content-type-not-json
-- doc: SPOT Public API: Common Error Messages: "Content-Type is invalid" "Attempting a POST but Content-Type header is not set. Supported content-types are: application/json and text/json"
-- severity: error
-- A deprecated XML request is spot-deprecated-body-or-xml's ("Older calls may also support XML").
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s was POSTed with %s: supported are application/json and text/json', coalesce(request_type, path),
              CASE WHEN content_type = '' THEN 'no Content-Type' ELSE 'Content-Type ' || content_type END) AS detail
FROM spot
WHERE method = 'POST' AND content_type NOT IN ('application/json', 'text/json')
  AND params_encoding IS DISTINCT FROM 'xml'
