-- rule: spoton-daily-sweep-missing
-- doc: SpotOn POS Export, Cash Deposits: "Retrieve the last 26 hours of cash deposit updates every 24 hours (preferably during restaurant downtime for non 24 hour operations)."
-- severity: warning
-- Per location: a sweep is an ok cash-deposits list call whose window is 26 hours or more. The
-- finding is on the first ok list call made more than 25 hours (24 hours and an hour of slack)
-- after the last sweep, or, before any sweep, after the first call of the recording; one
-- finding per overdue stretch. A recording shorter than a day is never flagged.
WITH calls AS MATERIALIZED (
    SELECT exchange_id, started_at, operation, location_id,
           window_end - window_start >= INTERVAL 26 HOUR AS is_sweep
    FROM spoton
    WHERE action = 'list' AND outcome = 'ok' AND resource = 'cash-deposits'
),
anchored AS (
    SELECT *, coalesce(max(started_at) FILTER (WHERE is_sweep) OVER w,
                       min(started_at) OVER (PARTITION BY location_id)) AS since,
              max(started_at) FILTER (WHERE is_sweep) OVER w IS NOT NULL AS swept_before
    FROM calls
    WINDOW w AS (PARTITION BY location_id ORDER BY started_at, exchange_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
overdue AS (
    SELECT *, started_at - since > INTERVAL 25 HOUR AND NOT is_sweep AS late,
              lag(started_at - since > INTERVAL 25 HOUR AND NOT is_sweep)
                  OVER (PARTITION BY location_id ORDER BY started_at, exchange_id) AS was_late
    FROM anchored
)
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('cash deposits of location %s: no 26-hour sweep for %s (%s); documented: the last 26 hours every 24 hours',
              location_id, started_at - since,
              CASE WHEN swept_before THEN 'since the last one' ELSE 'since the first call recorded' END) AS detail
FROM overdue
WHERE late AND NOT coalesce(was_late, false)
