-- rule: xgl-date-time-iso-utc
-- doc: Xenial loyalty gateway samples: Void Order: "date_time": "2023-06-19T16:47:15.996Z", and "receipt_datetime": "2023-06-19T16:47:15.996Z",
-- severity: warning
SELECT exchange_id, started_at, 'xgl' AS vendor, action AS operation,
       printf('%s: %s is not an ISO 8601 UTC time like 2023-06-19T16:47:15.996Z', action,
              concat_ws(', ',
                  CASE WHEN NOT regexp_full_match(date_time, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z')
                       THEN printf('date_time %s', date_time) END,
                  CASE WHEN NOT regexp_full_match(receipt_datetime, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z')
                       THEN printf('receipt_datetime %s', receipt_datetime) END)) AS detail
FROM xgl
WHERE NOT regexp_full_match(date_time, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z')
   OR NOT regexp_full_match(receipt_datetime, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z')
