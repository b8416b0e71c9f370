-- coverage: for the SpotOn polled resources, per location and resource, how much of the
-- time between the first requested start and the last requested end the integration
-- asked for (the union of its windows), the gaps it never asked for (data it missed), the
-- overlaps, and how it compares with the documented pattern: polls every 5 minutes with a
-- 5-minute lag, a daily 26-hour sweep, paid in/outs re-pulled for 3 days to catch voids.
WITH listed AS MATERIALIZED (  -- the windows are parsed out of params_json once: a filter on them
                               -- would be pushed into the scan and parse every row once per use
    SELECT location_id, resource, window_start AS s, window_end AS e, started_at
    FROM spoton
    WHERE action = 'list' AND outcome = 'ok'
),
w AS (SELECT * FROM listed WHERE s < e),
ordered AS MATERIALIZED (  -- one sort, computed once: the polls' interval is read in window order too
    SELECT *, max(e) OVER (PARTITION BY location_id, resource ORDER BY s, e
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_until,
              lag(started_at) OVER (PARTITION BY location_id, resource ORDER BY s, e) AS previous_poll
    FROM w
),
gaps AS (
    SELECT location_id, resource, covered_until AS gap_start, s AS gap_end
    FROM ordered WHERE s > covered_until
),
summary AS (
    SELECT location_id, resource, count(*) AS requests, min(s) AS first_start, max(e) AS last_end,
           sum(seconds_between(s, e)) AS requested_seconds,
           sum(seconds_between(s, least(e, covered_until))) FILTER (WHERE covered_until > s) AS overlap_seconds,
           max(seconds_between(s, e)) / 3600 AS longest_window_hours,
           median(seconds_between(e, started_at)) / 60 AS median_lag_minutes
    FROM ordered GROUP BY ALL
),
polls AS (
    SELECT location_id, resource, median(seconds_between(previous_poll, started_at)) / 60 AS median_poll_minutes
    FROM ordered WHERE previous_poll IS NOT NULL GROUP BY ALL
),
gap_totals AS (
    SELECT location_id, resource, count(*) AS gaps, sum(seconds_between(gap_start, gap_end)) AS missed_seconds,
           max(seconds_between(gap_start, gap_end)) AS longest_gap_seconds,
           arg_max(gap_start, [seconds_between(gap_start, gap_end), -epoch(gap_start)]) AS longest_gap_start  -- ties: the earliest
    FROM gaps GROUP BY ALL
)
SELECT s.location_id, s.resource, s.requests, s.first_start, s.last_end,
       round(seconds_between(s.first_start, s.last_end) - coalesce(g.missed_seconds, 0)) AS covered_seconds,
       coalesce(g.gaps, 0) AS gaps,
       coalesce(round(g.missed_seconds), 0) AS missed_seconds,
       round(g.longest_gap_seconds) AS longest_gap_seconds, g.longest_gap_start,
       coalesce(round(s.overlap_seconds), 0) AS overlap_seconds,
       round(p.median_poll_minutes, 1) AS median_poll_minutes,
       round(s.median_lag_minutes, 1) AS median_lag_minutes,
       round(s.longest_window_hours, 1) AS longest_window_hours,
       s.longest_window_hours >= 26 AS has_daily_sweep,
       CASE WHEN s.resource = 'paid-in-outs' THEN s.longest_window_hours >= 72 END AS repulls_3_days
FROM summary s
LEFT JOIN gap_totals g USING (location_id, resource)
LEFT JOIN polls p USING (location_id, resource)
ORDER BY s.location_id, s.resource;
