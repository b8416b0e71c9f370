-- rule: xgl-post-json
-- doc: Xenial loyalty gateway samples: every envelope: "method": "POST", with "Content-Type": "application/json",
-- severity: warning
SELECT exchange_id, started_at, 'xgl' AS vendor, coalesce(action, '(none)') AS operation,
       printf('%s sent as %s %s%s', coalesce(action, 'request'), method, coalesce(request_content_type, '(no Content-Type)'),
              CASE WHEN upper(envelope_method) <> 'POST' THEN printf(' (outHTTP method %s)', envelope_method) ELSE '' END) AS detail
FROM xgl
WHERE upper(method) <> 'POST'
   OR coalesce(lower(request_content_type), '') NOT LIKE '%json%'
   OR upper(envelope_method) <> 'POST'
