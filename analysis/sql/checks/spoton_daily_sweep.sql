-- rule: spoton-daily-sweep-missing
-- doc: SpotOn POS Export, Cash Deposits: "Retrieve the last 26 hours of cash deposit updates every 24 hours (preferably during restaurant downtime for non 24 hour operations)."
-- severity: warning
-- Per location: a sweep is an ok cash-deposits list call whose window is 26 hours or more. The
-- finding is on the first ok list call made more than 25 hours (24 hours and an hour of slack)
-- after the last sweep, or, before any sweep, after the first call of the recording; one
-- finding per overdue stretch. A recording shorter than a day is never flagged.
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('cash deposits of location %s: no 26-hour sweep for %s (%s); documented: the last 26 hours every 24 hours',
              location_id, overdue_for,
              CASE WHEN long_before THEN 'since the last one' ELSE 'since the first call recorded' END) AS detail
FROM spoton_overdue('cash-deposits', INTERVAL 26 HOUR, INTERVAL 25 HOUR)
