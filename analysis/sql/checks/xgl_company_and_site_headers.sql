-- rule: xgl-company-and-site-headers
-- doc: Xenial loyalty gateway samples: every envelope's headers, e.g. Void Order: "x-company-id": "62ea9f6ed4770e287c3ab373", and "x-site-ids": "6463a0683d01ab9b50c90d73"
-- severity: error
-- Either the HTTP request's headers or the outHTTP envelope's (the view takes whichever is there).
SELECT exchange_id, started_at, 'xgl' AS vendor, coalesce(action, '(none)') AS operation,
       printf('%s sent without %s (neither in the HTTP headers nor in the outHTTP envelope)',
              coalesce(action, 'request'),
              concat_ws(' and ', CASE WHEN company_id IS NULL OR company_id = '' THEN 'x-company-id' END,
                                 CASE WHEN site_ids IS NULL OR site_ids = '' THEN 'x-site-ids' END)) AS detail
FROM xgl
WHERE company_id IS NULL OR company_id = '' OR site_ids IS NULL OR site_ids = ''
