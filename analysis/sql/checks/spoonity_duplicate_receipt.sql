-- rule: spoonity-receipt-processed-twice
-- doc: Spoonity Order API: Process an order: receipt_number is "The invoice id from the point of sale."; Void an order: a sale stands until voided, then "the more recent orders must be re-applied" (so a receipt may be sent again only after its order was voided, or after a failed attempt)
-- severity: error
-- A receipt sent again while the order Spoonity accepted for it still stands (no successful
-- void of its reference_number in between), at the same store. Re-applying a voided order,
-- and retrying an attempt that failed or got no answer, are not duplicates.
WITH sales AS (
    SELECT started_at, store, receipt_number, reference_number FROM spoonity
    WHERE operation = 'order.process' AND outcome = 'ok' AND coalesce(receipt_number, '') <> ''
),
voids AS (
    SELECT started_at, store, receipt FROM spoonity WHERE operation = 'order.void' AND outcome = 'ok'
),
again AS (
    SELECT s.exchange_id, s.started_at, s.operation, s.store, s.receipt_number,
           o.started_at AS sold_at, o.reference_number
    FROM spoonity s
    JOIN sales o ON o.store IS NOT DISTINCT FROM s.store AND o.receipt_number = s.receipt_number
                AND o.started_at < s.started_at
    WHERE s.operation = 'order.process'
      AND NOT EXISTS (SELECT 1 FROM voids v
                      WHERE v.store IS NOT DISTINCT FROM o.store AND v.receipt = o.reference_number
                        AND v.started_at > o.started_at AND v.started_at < s.started_at)
    QUALIFY row_number() OVER (PARTITION BY s.exchange_id ORDER BY o.started_at DESC) = 1
)
SELECT exchange_id, started_at, 'spoonity' AS vendor, operation,
       printf('receipt_number %s sent again at store %s while its order of %s (reference_number %s) stands: '
              || 'it was never voided', receipt_number, coalesce(store, '(no api_key)'),
              strftime(sold_at, '%Y-%m-%d %H:%M:%S'), coalesce(reference_number, '?')) AS detail
FROM again
