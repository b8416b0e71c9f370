-- rule: spoton-poll-interval-over-5-minutes
-- doc: SpotOn POS Export, Cash Deposits, Import Cash Deposits In a "close to realtime" Fashion: "Retrieve cash deposits every 5 minutes, but with a 5 minute “lag”"
-- severity: warning
-- Cash deposits polled close to real time: an ok list call made more than 7.5 minutes (a 5-minute
-- poll plus half a period of scheduling slack) after the previous one for the same location.
-- Windows of 24 hours or more (the daily 26-hour sweep, a daily-only import) are neither polls
-- nor compared, so a daily-only integration is not flagged; nor is a window that ends less than 5
-- minutes before its request (reported by spoton-window-end-less-than-5-minutes-ago).
WITH polls AS MATERIALIZED (
    SELECT exchange_id, started_at, operation, location_id, window_field, window_start_text, window_end_text,
           window_start AS s, window_end AS e
    FROM spoton
    WHERE action = 'list' AND outcome = 'ok' AND resource = 'cash-deposits'
      AND window_end <= started_at - INTERVAL 5 MINUTE
),
timed AS (
    SELECT *, lag(started_at) OVER (PARTITION BY location_id ORDER BY started_at, exchange_id) AS previous_poll
    FROM polls WHERE e - s < INTERVAL 24 HOUR
)
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('cash deposits of location %s polled %s after the previous poll (documented: every 5 minutes); '
              'window %s .. %s', location_id, started_at - previous_poll, window_start_text, window_end_text) AS detail
FROM timed
WHERE started_at - previous_poll > INTERVAL 450 SECOND
