-- rule: spot-deprecated-body-or-xml
-- doc: SPOT Public API: Making A Request: "This Base64 approach is maintained for backwards compatibility, it is recommended that new development not use it." ... "(Older calls may also support XML but this is deprecated.)"
-- severity: warning
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s sent its parameters as %s', request_type,
              CASE params_encoding WHEN 'Body' THEN 'a Base64 Body (use Parameters)' ELSE 'XML (use JSON)' END) AS detail
FROM spot
WHERE params_encoding IN ('Body', 'xml')
