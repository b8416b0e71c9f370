-- rule: spot-user-agent-missing
-- doc: SPOT Public API: Making A Request, UserAgent: "(Required) If this is a browser based app, you can provide the browser user agent string. For mobile apps you can specify IOS, or Android."
-- severity: error
-- The UserAgent member of the request object (not the HTTP User-Agent header). Anonymous
-- GET actions (ID in the query) are not request objects and are left out.
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s was sent without the UserAgent member', coalesce(request_type, method || ' ' || path)) AS detail
FROM spot
WHERE coalesce(trim(user_agent), '') = '' AND NOT (method = 'GET' AND sends_id)
