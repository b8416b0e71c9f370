-- The spoton view over `exchanges` (which analysis/views.py defines over the cassettes).
-- Values are as stored: redacted.

-- A filter on location_id or the window columns is pushed below this projection and parses
-- params_json again for every use; over millions of rows, select them first in a
-- MATERIALIZED CTE and filter that (as reports/coverage.sql does).
CREATE OR REPLACE VIEW spoton AS
SELECT exchange_id, cassette, started_at, duration_ms, method, path, path_template, status, outcome, outcome_message,
       operation, split_part(operation, '.', 1) AS resource, split_part(operation, '.', 2) AS action,
       p[1] AS location_id,
       CASE WHEN p[2] IS NOT NULL THEN 'updatedAt' WHEN p[4] IS NOT NULL THEN 'createdAt' END AS window_field,
       TRY_CAST(coalesce(p[2], p[4]) AS TIMESTAMPTZ) AS window_start,
       TRY_CAST(coalesce(p[3], p[5]) AS TIMESTAMPTZ) AS window_end
FROM (SELECT *, jmany(params_json, ['$.locationId', '$.updatedAtStart', '$.updatedAtEnd',
                                   '$.createdAtStart', '$.createdAtEnd']) AS p   -- one parse per row
      FROM exchanges WHERE vendor = 'spoton');
