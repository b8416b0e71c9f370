-- rule: spoonity-session-not-closed-after-order
-- doc: Spoonity Order API: Process an order: "Once this order is complete, often the DEL onscreen_close request is called immediately to close the session."
-- severity: warning
-- Guidance ("often"): judged only at a store whose POS does close sessions (it sends
-- session.close at least once in the recording); there, an accepted order with no
-- session.close from the store within the next 60 seconds was left open.
WITH closes AS (
    SELECT started_at, coalesce(store, '') AS st FROM spoonity WHERE operation = 'session.close'
),
orders AS (
    SELECT exchange_id, started_at, operation, store, coalesce(store, '') AS st, reference_number, receipt_number
    FROM spoonity
    WHERE operation = 'order.process' AND outcome = 'ok'
      AND coalesce(store, '') IN (SELECT st FROM closes)
)
SELECT o.exchange_id, o.started_at, 'spoonity' AS vendor, o.operation,
       printf('order %s (receipt_number %s) at store %s was not followed by DELETE onscreen_close within 60 s',
              coalesce(o.reference_number, '?'), coalesce(o.receipt_number, '?'), coalesce(o.store, '(no api_key)')) AS detail
FROM orders o
ASOF LEFT JOIN closes c ON c.st = o.st AND c.started_at >= o.started_at
WHERE c.started_at IS NULL OR c.started_at > o.started_at + INTERVAL 60 SECOND
