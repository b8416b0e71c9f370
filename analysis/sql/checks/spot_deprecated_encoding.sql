-- rule: spot-deprecated-body-or-xml
-- doc: XplorSPOT API: the Base64 "Body" parameter and XML requests are legacy (deprecated); send Parameters as JSON
-- severity: warning
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s sent its parameters as %s', request_type,
              CASE params_encoding WHEN 'Body' THEN 'a Base64 Body' ELSE 'XML' END) AS detail
FROM spot
WHERE params_encoding IN ('Body', 'xml')
