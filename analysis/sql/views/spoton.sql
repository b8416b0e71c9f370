-- The spoton view over `exchanges` (which analysis/views.py defines over the cassettes).
-- Values are as stored: redacted.
--
-- Windows. Each documented resource is polled by one field (SpotOn POS export docs):
-- cash-deposits by updatedAtStart/updatedAtEnd ("last updated within the specified date/time
-- range"), paid-in-outs by createdAtStart/createdAtEnd ("The POS currently does not track the
-- last updated date for paid in/outs"). `window_field` is that documented field (for another
-- resource, the field the call sends); `window_start_text`/`window_end_text` are the raw
-- values of that field's parameters (NULL when not sent), kept so their format can be checked
-- (RFC 3339 without milliseconds): `window_start`/`window_end` are a lenient TIMESTAMPTZ cast
-- and NULL for a missing or unparseable value, so a check comparing them skips such calls
-- (the checks spoton-window-missing and spoton-window-not-rfc3339 report those).
-- `sends_updated_at`/`sends_created_at`: the call sends a parameter of that field (a call
-- polling by the wrong field sends the other one); the four raw parameters are exposed too.
--
-- Responses that are `ok`: `response_items` (a list's array length, 1 for a single object), and of those
-- `voided_items` / `deleted_items` (items whose `voided` / `deleted` flag is true; paid in/outs
-- have both, cash deposits only `deleted`).
--
-- A filter on location_id or the window columns is pushed below this projection and parses
-- params_json again for every use; over millions of rows, select them first in a
-- MATERIALIZED CTE and filter that (as reports/coverage.sql does).
CREATE OR REPLACE VIEW spoton AS
SELECT exchange_id, cassette, started_at, duration_ms, method, path, path_template, status, outcome, outcome_message,
       operation, resource, action, location_id, sends_api_key,
       updated_at_start_text, updated_at_end_text, created_at_start_text, created_at_end_text,
       sends_updated_at, sends_created_at, documented_field, window_field,
       window_start_text, window_end_text,
       TRY_CAST(upper(window_start_text) AS TIMESTAMPTZ) AS window_start,
       TRY_CAST(upper(window_end_text) AS TIMESTAMPTZ) AS window_end,
       response_items, voided_items, deleted_items
FROM (
    SELECT *,
           CASE window_field WHEN 'updatedAt' THEN updated_at_start_text
                             WHEN 'createdAt' THEN created_at_start_text END AS window_start_text,
           CASE window_field WHEN 'updatedAt' THEN updated_at_end_text
                             WHEN 'createdAt' THEN created_at_end_text END AS window_end_text
    FROM (
        SELECT *,
               coalesce(documented_field, CASE WHEN sends_updated_at THEN 'updatedAt'
                                               WHEN sends_created_at THEN 'createdAt' END) AS window_field
        FROM (
            SELECT exchange_id, cassette, started_at, duration_ms, method, path, path_template, status, outcome,
                   outcome_message, operation,
                   split_part(operation, '.', 1) AS resource, split_part(operation, '.', 2) AS action,
                   p[1] AS location_id,
                   header_value(request_headers, 'x-api-key') IS NOT NULL AS sends_api_key,
                   p[2] AS updated_at_start_text, p[3] AS updated_at_end_text,
                   p[4] AS created_at_start_text, p[5] AS created_at_end_text,
                   (p[2] IS NOT NULL OR p[3] IS NOT NULL) AS sends_updated_at,
                   (p[4] IS NOT NULL OR p[5] IS NOT NULL) AS sends_created_at,
                   CASE split_part(operation, '.', 1) WHEN 'cash-deposits' THEN 'updatedAt'
                                                      WHEN 'paid-in-outs' THEN 'createdAt' END AS documented_field,
                   CASE json_type(body) WHEN 'ARRAY' THEN json_array_length(body)
                                        WHEN 'OBJECT' THEN 1 END AS response_items,
                   CASE json_type(body)
                        WHEN 'ARRAY' THEN len(list_filter(jmany(body, '$[*].voided'), lambda v: v = 'true'))
                        WHEN 'OBJECT' THEN (jget(body, '$.voided') = 'true')::INTEGER END AS voided_items,
                   CASE json_type(body)
                        WHEN 'ARRAY' THEN len(list_filter(jmany(body, '$[*].deleted'), lambda v: v = 'true'))
                        WHEN 'OBJECT' THEN (jget(body, '$.deleted') = 'true')::INTEGER END AS deleted_items
            FROM (SELECT *, jmany(params_json, ['$.locationId', '$.updatedAtStart', '$.updatedAtEnd',
                                               '$.createdAtStart', '$.createdAtEnd']) AS p,  -- one parse per row
                         CASE WHEN outcome = 'ok' AND try(json_valid(response_body_text)) THEN response_body_text END AS body
                  FROM exchanges WHERE vendor = 'spoton')
        )
    )
);

-- The ok list calls of one SpotOn resource that come more than *late_after* after the last call
-- whose window reached back at least *long_window* (a daily sweep, a paid in/outs re-pull) or,
-- before any such call, after the first call of the recording: the first call of each overdue
-- stretch, per location, with how long it had been and whether a long window came before.
-- Used by checks/spoton_daily_sweep.sql and checks/spoton_paid_in_outs_repull.sql.
CREATE OR REPLACE MACRO spoton_overdue(res, long_window, late_after) AS TABLE
WITH calls AS MATERIALIZED (
    SELECT exchange_id, started_at, operation, location_id,
           window_end - window_start >= long_window AS is_long
    FROM spoton
    WHERE action = 'list' AND outcome = 'ok' AND resource = res
),
anchored AS (
    SELECT *, coalesce(max(started_at) FILTER (WHERE is_long) OVER w,
                       min(started_at) OVER (PARTITION BY location_id)) AS since,
              max(started_at) FILTER (WHERE is_long) OVER w IS NOT NULL AS long_before
    FROM calls
    WINDOW w AS (PARTITION BY location_id ORDER BY started_at, exchange_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
overdue AS (
    SELECT *, started_at - since > late_after AND NOT is_long AS late,
              lag(started_at - since > late_after AND NOT is_long)
                  OVER (PARTITION BY location_id ORDER BY started_at, exchange_id) AS was_late
    FROM anchored
)
SELECT exchange_id, started_at, operation, location_id, started_at - since AS overdue_for, long_before
FROM overdue
WHERE late AND NOT coalesce(was_late, false);
