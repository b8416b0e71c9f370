-- gaps: every stretch of time a SpotOn polled resource was never asked for, per location
-- (the detail behind the coverage report).
WITH listed AS MATERIALIZED (  -- the windows are parsed out of params_json once: a filter on them
                               -- would be pushed into the scan and parse every row once per use
    SELECT location_id, resource, window_start AS s, window_end AS e
    FROM spoton
    WHERE action = 'list' AND outcome = 'ok'
),
w AS (SELECT * FROM listed WHERE s < e),
ordered AS MATERIALIZED (
    SELECT *, max(e) OVER (PARTITION BY location_id, resource ORDER BY s, e
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_until
    FROM w
)
SELECT location_id, resource, covered_until AS gap_start, s AS gap_end,
       round(seconds_between(covered_until, s)) AS gap_seconds
FROM ordered
WHERE s > covered_until
ORDER BY location_id, resource, gap_start;
