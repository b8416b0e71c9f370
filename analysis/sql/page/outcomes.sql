-- page: outcomes per vendor, the failures hidden inside a successful HTTP answer apart.
SELECT vendor,
       count(*) AS exchanges,
       count(*) FILTER (WHERE outcome = 'ok') AS ok,
       count(*) FILTER (WHERE outcome IN ('failed', 'partial') AND status < 400) AS hidden_in_2xx,
       count(*) FILTER (WHERE outcome IN ('failed', 'partial') AND (status IS NULL OR status >= 400)) AS failed,
       count(*) FILTER (WHERE outcome = 'error') AS errors,
       min(started_at) AS first_seen,
       max(started_at) AS last_seen
FROM exchanges
GROUP BY vendor
ORDER BY exchanges DESC, vendor;
