-- page: the exchanges the page carries (decoded on demand in the browser). Every one that did
-- not end ok is listed; in full (headers, bodies, parameters) are at most {per_operation} of the
-- ok ones per operation (spread by id) and the first {failures_in_full} failures per operation;
-- the other failures are listed by their request line, status and message only.
WITH ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY vendor, operation, outcome = 'ok'
                              ORDER BY CASE WHEN outcome = 'ok' THEN hash(exchange_id) END, started_at) AS pick
    FROM exchanges
),
carried AS (
    SELECT *, CASE WHEN outcome = 'ok' THEN pick <= {per_operation} ELSE pick <= {failures_in_full} END AS "full"
    FROM ranked
    WHERE outcome <> 'ok' OR pick <= {per_operation}
)
SELECT exchange_id AS id, epoch_ms(started_at) AS t, vendor, coalesce(operation, '-') AS operation,
       method, scheme, host, port, path, query, status, reason, outcome, outcome_message, error,
       duration_ms, "full",
       CASE WHEN "full" THEN params_encoding END AS params_encoding,
       CASE WHEN "full" THEN params_json END AS params_json,
       CASE WHEN "full" THEN request_headers END AS request_headers,
       CASE WHEN "full" THEN request_body_text END AS request_body_text,
       request_body_size, request_truncated,
       CASE WHEN "full" THEN response_headers END AS response_headers,
       CASE WHEN "full" THEN response_body_text END AS response_body_text,
       response_body_size, response_truncated,
       CASE WHEN "full" THEN redactions END AS redactions
FROM carried
ORDER BY started_at, exchange_id;
