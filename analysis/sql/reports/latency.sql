-- latency: duration percentiles (ms) per operation over the whole recording (hour NULL),
-- then per operation and hour.
SELECT vendor, operation, date_trunc('hour', started_at) AS hour,
       count(*) AS exchanges,
       round(quantile_cont(duration_ms, 0.50), 1) AS p50_ms,
       round(quantile_cont(duration_ms, 0.95), 1) AS p95_ms,
       round(quantile_cont(duration_ms, 0.99), 1) AS p99_ms,
       round(max(duration_ms), 1) AS max_ms
FROM exchanges
WHERE duration_ms IS NOT NULL
GROUP BY GROUPING SETS ((vendor, operation), (vendor, operation, date_trunc('hour', started_at)))
ORDER BY vendor, operation, hour NULLS FIRST;
