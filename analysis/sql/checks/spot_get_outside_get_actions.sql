-- rule: spot-get-outside-get-endpoint
-- doc: SPOT Public API: Endpoints: "CustomerConnect GET Actions" is https://api.mydrycleaner.com/g; "All requests are able to be written in any language that supports HTTP Post."
-- severity: warning
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('GET %s (%s): GET actions belong on the /g endpoint; the others take POSTs', path, api) AS detail
FROM spot
WHERE method = 'GET' AND api IS DISTINCT FROM 'CustomerConnect GET'
