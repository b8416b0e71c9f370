-- errors: HTTP errors and failures the vendor reported inside a 2xx (SPOT "Failed": true,
-- Spoonity "success": false, XGL response codes, and partial declines: an XGL reward or
-- balance declined inside an authorised answer), by operation and message.
SELECT vendor, operation, outcome, status,
       outcome IN ('failed', 'partial') AND status < 400 AS hidden_in_2xx,
       coalesce(outcome_message, error, '') AS message,
       count(*) AS exchanges,
       min(started_at) AS first_seen,
       max(started_at) AS last_seen,
       arg_min(exchange_id, started_at) AS first_exchange
FROM exchanges
WHERE outcome <> 'ok'
GROUP BY ALL
ORDER BY exchanges DESC, vendor, operation, message;
