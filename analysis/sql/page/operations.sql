-- page: one row per vendor and operation: volume, failures (hidden ones apart), latency, first and last seen.
SELECT vendor, coalesce(operation, '-') AS operation,
       count(*) AS exchanges,
       count(*) FILTER (WHERE outcome <> 'ok') AS failed,
       count(*) FILTER (WHERE outcome IN ('failed', 'partial') AND status < 400) AS hidden_in_2xx,
       round(quantile_cont(duration_ms, 0.50), 1) AS p50_ms,
       round(quantile_cont(duration_ms, 0.95), 1) AS p95_ms,
       round(max(duration_ms), 1) AS max_ms,
       min(started_at) AS first_seen,
       max(started_at) AS last_seen
FROM exchanges
GROUP BY ALL
ORDER BY vendor, exchanges DESC, operation;
