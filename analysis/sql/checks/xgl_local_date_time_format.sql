-- rule: xgl-local-date-time-format
-- doc: Xenial loyalty gateway samples: Void Order: "local_date": "20230619", and "local_time": "044715",
-- severity: warning
-- YYYYMMDD and HHMMSS. Not compared with date_time: the samples' local_time is not date_time
-- in the site's time zone either.
SELECT exchange_id, started_at, 'xgl' AS vendor, action AS operation,
       printf('%s: %s', action,
              concat_ws(', ',
                  CASE WHEN local_date IS NOT NULL AND (try_strptime(local_date, '%Y%m%d') IS NULL OR NOT regexp_full_match(local_date, '\d{8}'))
                       THEN printf('local_date %s is not YYYYMMDD', local_date) END,
                  CASE WHEN NOT regexp_full_match(local_time, '([01]\d|2[0-3])[0-5]\d[0-5]\d')
                       THEN printf('local_time %s is not HHMMSS', local_time) END)) AS detail
FROM xgl
WHERE (local_date IS NOT NULL AND (try_strptime(local_date, '%Y%m%d') IS NULL OR NOT regexp_full_match(local_date, '\d{8}')))
   OR NOT regexp_full_match(local_time, '([01]\d|2[0-3])[0-5]\d[0-5]\d')
