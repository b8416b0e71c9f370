-- page: exchanges per time bucket and vendor, failures apart. {bucket} is the bucket's length
-- in seconds, chosen from the recording's span (analysis/page.py).
SELECT to_timestamp(floor(epoch(started_at) / {bucket}) * {bucket}) AS bucket, vendor,
       count(*) AS exchanges,
       count(*) FILTER (WHERE outcome <> 'ok') AS failed
FROM exchanges
GROUP BY ALL
ORDER BY bucket, vendor;
