-- rule: spoton-error-not-retried
-- doc: SpotOn POS Export, Cash Deposits: "the API Consumer will have to perform the appropriate “retries” when API errors are encountered to ensure that cash deposit updates are not missed."
-- severity: warning
-- A list call that got no answer, a 5xx or a 429, whose window later ok list calls of the same
-- location and resource do not cover entirely. A 4xx other than 429 is the request's own fault
-- (the window checks say which); sending it again would fail again.
WITH listed AS MATERIALIZED (
    SELECT exchange_id, started_at, operation, location_id, resource, status, outcome, outcome_message,
           window_field, window_start_text, window_end_text, window_start AS s, window_end AS e
    FROM spoton
    WHERE action = 'list' AND window_start < window_end
),
failed AS (
    SELECT * FROM listed WHERE outcome <> 'ok' AND (status IS NULL OR status >= 500 OR status = 429)
),
pieces AS (  -- later ok windows, clipped to the failed one
    SELECT f.exchange_id, greatest(o.s, f.s) AS s, least(o.e, f.e) AS e
    FROM failed f JOIN listed o
      ON o.outcome = 'ok' AND o.started_at > f.started_at AND o.location_id IS NOT DISTINCT FROM f.location_id
     AND o.resource = f.resource AND o.s < f.e AND o.e > f.s
),
chained AS (
    SELECT exchange_id, s, e, max(e) OVER (PARTITION BY exchange_id ORDER BY s, e
                                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_until
    FROM pieces
),
covered AS (
    SELECT exchange_id, min(s) AS first_start, max(e) AS last_end, count(*) FILTER (WHERE s > covered_until) AS holes
    FROM chained GROUP BY exchange_id
)
SELECT f.exchange_id, f.started_at, 'spoton' AS vendor, f.operation,
       printf('%s window %s .. %s failed (%s) and %s', f.window_field, f.window_start_text, f.window_end_text,
              coalesce(f.outcome_message, 'HTTP ' || f.status, 'no response'),
              CASE WHEN c.exchange_id IS NULL THEN 'no later successful call asked for it again'
                   ELSE 'later successful calls asked for only part of it again' END) AS detail
FROM failed f LEFT JOIN covered c USING (exchange_id)
WHERE c.exchange_id IS NULL OR c.first_start > f.s OR c.last_end < f.e OR c.holes > 0
