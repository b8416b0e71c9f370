-- rule: spoton-paid-in-outs-not-repulled-for-voids
-- doc: SpotOn POS Export, Paid In/Outs: "the API Consumer will have to periodically pull paid/in outs for the last 3 days or so to ensure that voids are captured."
-- severity: warning
-- Per location: a re-pull is an ok paid-in-outs list call whose window is 3 days or more (as
-- reports/coverage.sql's repulls_3_days). The doc gives no period; re-pulls further apart than
-- the 3 days they reach back leave paid in/outs that are never pulled again, so the finding is on
-- the first ok list call made more than 3 days after the last re-pull (or, before any, after the
-- first call of the recording); one finding per overdue stretch.
WITH calls AS MATERIALIZED (
    SELECT exchange_id, started_at, operation, location_id,
           window_end - window_start >= INTERVAL 72 HOUR AS is_repull
    FROM spoton
    WHERE action = 'list' AND outcome = 'ok' AND resource = 'paid-in-outs'
),
anchored AS (
    SELECT *, coalesce(max(started_at) FILTER (WHERE is_repull) OVER w,
                       min(started_at) OVER (PARTITION BY location_id)) AS since,
              max(started_at) FILTER (WHERE is_repull) OVER w IS NOT NULL AS pulled_before
    FROM calls
    WINDOW w AS (PARTITION BY location_id ORDER BY started_at, exchange_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
overdue AS (
    SELECT *, started_at - since > INTERVAL 72 HOUR AND NOT is_repull AS late,
              lag(started_at - since > INTERVAL 72 HOUR AND NOT is_repull)
                  OVER (PARTITION BY location_id ORDER BY started_at, exchange_id) AS was_late
    FROM anchored
)
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('paid in/outs of location %s: not re-pulled for the last 3 days for %s (%s), so voids of older '
              'ones are not captured', location_id, started_at - since,
              CASE WHEN pulled_before THEN 'since the last re-pull' ELSE 'since the first call recorded' END) AS detail
FROM overdue
WHERE late AND NOT coalesce(was_late, false)
