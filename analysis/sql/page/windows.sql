-- page: the time each SpotOn resource was asked for, per location, as covered stretches (the
-- windows the POS asked for merged where they touch or overlap), to draw as a Gantt beside the
-- gaps report: a day polled every 5 minutes is one bar, not 288.
WITH w AS MATERIALIZED (
    SELECT location_id, resource, window_start AS s, window_end AS e
    FROM spoton
    WHERE action = 'list' AND window_start IS NOT NULL AND window_end IS NOT NULL AND window_start < window_end
),
marked AS (
    SELECT *, CASE WHEN s <= max(e) OVER (PARTITION BY location_id, resource ORDER BY s, e
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                   THEN 0 ELSE 1 END AS starts
    FROM w
),
islands AS (
    SELECT *, sum(starts) OVER (PARTITION BY location_id, resource ORDER BY s, e) AS island FROM marked
)
SELECT location_id, resource, min(s) AS window_start, max(e) AS window_end, count(*) AS windows
FROM islands
GROUP BY location_id, resource, island
ORDER BY location_id, resource, window_start;
