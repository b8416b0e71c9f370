-- usage: calls per vendor, operation and day, with outcomes and the distinct places served
-- (SpotOn locations, XGL sites). One pass over the exchanges, no join: at 10M exchanges a
-- join back to the vendor views cost a third more (benchmarks/RESULTS.md).
-- Portable: Apache Spark runs this file unchanged once jget and header_value are defined
-- (tests/analysis/test_spark.py; README "Scaling out").
SELECT CAST(started_at AS DATE) AS day, vendor, operation,
       count(*) AS calls,
       count(*) FILTER (WHERE outcome = 'ok') AS ok,
       count(*) FILTER (WHERE outcome IN ('failed', 'partial')) AS failed,  -- partial: part declined
       count(*) FILTER (WHERE outcome = 'error') AS errors,
       count(DISTINCT CASE vendor
                          WHEN 'spoton' THEN jget(params_json, '$.locationId')
                          WHEN 'xgl' THEN header_value(request_headers, 'x-site-ids')
                      END) AS places
FROM exchanges
GROUP BY ALL
ORDER BY day, vendor, calls DESC, operation;
