-- rule: spot-securityid-from-browser
-- doc: SPOT Public API: Making A Request: "**DO NOT** place the security ID in any browser-side code. If it is exposed your API account could be abused."
-- severity: warning
-- Browser-side code is known by what browsers add (an Origin or Sec-Fetch-Mode header) or by
-- a browser user agent string in the UserAgent member, which the docs ask browser apps to send.
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s sent the SecurityID from a browser (%s)', coalesce(request_type, 'a request'),
              CASE WHEN from_browser THEN 'the request has browser headers (Origin / Sec-Fetch-Mode)'
                   ELSE printf('UserAgent is the browser string %s', user_agent) END) AS detail
FROM spot
WHERE sends_security_id AND (from_browser OR coalesce(user_agent, '') LIKE 'Mozilla/%')
