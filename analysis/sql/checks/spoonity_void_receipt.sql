-- rule: spoonity-void-receipt-not-reference-number
-- doc: Spoonity Order API: Void an order, receipt: "Identifies which order is meant to be voided, matches the" … "that is found in the response of the order_process (loyalty) request." (the reference_number)
-- severity: error
-- A void naming the POS receipt_number of an earlier order of the store instead of the
-- reference_number Spoonity answered. (A receipt matching nothing recorded is not flagged:
-- the sale may predate the recording.)
WITH orders AS (
    SELECT started_at, store, receipt_number, reference_number FROM spoonity WHERE operation = 'order.process'
)
SELECT v.exchange_id, v.started_at, 'spoonity' AS vendor, v.operation,
       printf('void names receipt %s, the receipt_number of the order of %s; it takes that order''s '
              || 'reference_number (%s)', v.receipt, strftime(max(o.started_at), '%H:%M:%S'),
              coalesce(arg_max(o.reference_number, o.started_at), 'none was answered')) AS detail
FROM spoonity v
JOIN orders o ON o.store IS NOT DISTINCT FROM v.store AND o.receipt_number = v.receipt AND o.started_at < v.started_at
WHERE v.operation = 'order.void'
  AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.store IS NOT DISTINCT FROM v.store
                    AND r.reference_number = v.receipt AND r.started_at < v.started_at)
GROUP BY v.exchange_id, v.started_at, v.operation, v.receipt
