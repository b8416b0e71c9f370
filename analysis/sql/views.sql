-- Bodies are whatever the vendor sent: JSON, invalid JSON, XML, nothing. These read a
-- JSON path and give NULL for anything else (json_extract* would raise).
-- (try() rather than a json_valid() guard: one parse instead of two, a third faster at 10M rows)
CREATE OR REPLACE MACRO jget(doc, path) AS try(json_extract_string(doc, path));
CREATE OR REPLACE MACRO jraw(doc, path) AS try(json_extract(doc, path));
CREATE OR REPLACE MACRO jmany(doc, paths) AS try(json_extract_string(doc, paths));
-- Seconds from one timestamp to another. epoch(b - a) goes through an INTERVAL and is
-- several times slower: over 10M exchanges it was a third of the coverage report.
CREATE OR REPLACE MACRO seconds_between(a, b) AS (epoch_us(b) - epoch_us(a)) / 1e6;
-- The first value of a header (names compared case-insensitively), from the stored list.
CREATE OR REPLACE MACRO header_value(headers, wanted) AS
    list_filter(headers, lambda h: lower(h.name) = lower(wanted))[1].value;

-- Per-vendor views over `exchanges` (which analysis/views.py defines over the cassettes).
-- Values are as stored: redacted. A SPOT session is its pseudonym, so sessions can be
-- followed without anybody seeing a SessionID.

CREATE OR REPLACE VIEW spot AS
SELECT exchange_id, cassette, started_at, duration_ms, method, path, status, outcome, outcome_message,
       operation AS request_type, params_encoding, params_json,
       coalesce(jget(request_body_text, '$.SessionID'),
                url_decode(NULLIF(regexp_extract(query, '(?:^|&)SessionID=([^&]*)', 1), ''))) AS session,
       jget(response_body_text, '$.ReturnObject.SessionID') AS new_session,
       coalesce(jget(request_body_text, '$.AccountKey'),
                url_decode(NULLIF(regexp_extract(query, '(?:^|&)AccountKey=([^&]*)', 1), ''))) AS account_key,
       jget(request_body_text, '$.SecurityID') IS NOT NULL
           OR regexp_matches(coalesce(query, ''), '(?:^|&)SecurityID=') AS sends_security_id
FROM exchanges WHERE vendor = 'spot';

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

CREATE OR REPLACE VIEW xgl AS
SELECT exchange_id, cassette, started_at, duration_ms, status, outcome, outcome_message,
       operation AS action,
       list_filter(request_headers, lambda h: lower(h.name) = 'x-site-ids')[1].value AS site_ids,
       list_filter(request_headers, lambda h: lower(h.name) = 'x-company-id')[1].value AS company_id,
       jget(params_json, '$.transaction_token') AS transaction_token,
       jget(params_json, '$.order._id') AS order_id,
       params_json
FROM exchanges WHERE vendor = 'xgl';

CREATE OR REPLACE VIEW spoonity AS
SELECT exchange_id, cassette, started_at, duration_ms, status, outcome, outcome_message, operation,
       jget(params_json, '$.receipt_number') AS receipt_number,
       coalesce(jget(params_json, '$.receipt'),
                jget(response_body_text, '$.reference_number')) AS reference_number,
       jget(params_json, '$.card_number') AS card,
       TRY_CAST(jraw(params_json, '$.total') AS DOUBLE) AS total,
       TRY_CAST(jraw(params_json, '$.amount') AS DOUBLE) AS amount,
       params_json
FROM exchanges WHERE vendor = 'spoonity';
