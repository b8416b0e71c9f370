-- rule: spoton-paid-in-outs-not-repulled-for-voids
-- doc: SpotOn POS Export, Paid In/Outs: "the API Consumer will have to periodically pull paid/in outs for the last 3 days or so to ensure that voids are captured."
-- severity: warning
-- Per location: a re-pull is an ok paid-in-outs list call whose window is 3 days or more (as
-- reports/coverage.sql's repulls_3_days). The doc gives no period; re-pulls further apart than
-- the 3 days they reach back leave paid in/outs that are never pulled again, so the finding is on
-- the first ok list call made more than 3 days after the last re-pull (or, before any, after the
-- first call of the recording); one finding per overdue stretch.
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('paid in/outs of location %s: not re-pulled for the last 3 days for %s (%s), so voids of older '
              'ones are not captured', location_id, overdue_for,
              CASE WHEN long_before THEN 'since the last re-pull' ELSE 'since the first call recorded' END) AS detail
FROM spoton_overdue('paid-in-outs', INTERVAL 72 HOUR, INTERVAL 72 HOUR)
