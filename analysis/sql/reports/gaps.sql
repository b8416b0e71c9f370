-- gaps: every stretch of time a SpotOn polled resource was never asked for, per location
-- (the detail behind the coverage report).
WITH w AS (
    SELECT location_id, resource, window_start AS s, window_end AS e
    FROM spoton
    WHERE action = 'list' AND outcome = 'ok' AND window_start < window_end
),
ordered AS MATERIALIZED (
    SELECT *, max(e) OVER (PARTITION BY location_id, resource ORDER BY s, e
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_until
    FROM w
)
SELECT location_id, resource, covered_until AS gap_start, s AS gap_end,
       round(epoch(s - covered_until)) AS gap_seconds
FROM ordered
WHERE s > covered_until
ORDER BY location_id, resource, gap_start;
