-- usage: calls per vendor, operation and day, with outcomes and the distinct places served
-- (SpotOn locations, XGL sites). One pass over the exchanges, no join: at 10M exchanges a
-- join back to the vendor views cost a third more (benchmarks/RESULTS.md).
SELECT CAST(started_at AS DATE) AS day, vendor, operation,
       count(*) AS calls,
       count(*) FILTER (WHERE outcome = 'ok') AS ok,
       count(*) FILTER (WHERE outcome = 'failed') AS failed,
       count(*) FILTER (WHERE outcome = 'error') AS errors,
       count(DISTINCT CASE vendor
                          WHEN 'spoton' THEN jget(params_json, '$.locationId')
                          WHEN 'xgl' THEN list_filter(request_headers, lambda h: lower(h.name) = 'x-site-ids')[1].value
                      END) AS places
FROM exchanges
GROUP BY ALL
ORDER BY day, vendor, calls DESC, operation;
