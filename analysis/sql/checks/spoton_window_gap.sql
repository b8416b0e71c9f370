-- rule: spoton-window-gap
-- doc: SpotOn POS Export, Cash Deposits: "updatedAtStart is inclusive and updatedAtEnd is exclusive." ... "to ensure that cash deposit updates are not missed" (successive windows should chain: next start = previous end)
-- severity: warning
-- Per location and resource, over the ok list calls taken in window order (as reports/gaps.sql):
-- a window that starts after every earlier window has ended leaves a stretch never asked for.
-- The finding is on the call whose window comes right after the hole. A window that breaks a
-- hard window rule (ends less than 5 minutes before the request, longer than 7 days: reported by
-- their own checks) does not count: it may have missed updates or been refused.
WITH listed AS MATERIALIZED (
    SELECT exchange_id, started_at, operation, location_id, resource, window_field,
           window_start AS s, window_end AS e, window_start_text
    FROM spoton
    WHERE action = 'list' AND outcome = 'ok' AND window_end <= started_at - INTERVAL 5 MINUTE
      AND window_end - window_start <= INTERVAL 7 DAY
),
ordered AS (
    SELECT *, max(e) OVER (PARTITION BY location_id, resource ORDER BY s, e
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_until
    FROM listed WHERE s < e
)
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('%s of location %s: nothing was asked for from %s to %s (%s); this window starts at %sStart %s',
              resource, location_id, strftime(covered_until AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'),
              strftime(s AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'), s - covered_until, window_field,
              window_start_text) AS detail
FROM ordered
WHERE s > covered_until
