-- rule: spoonity-reapply-out-of-sequence
-- doc: Spoonity Order API: Void an order: "then the more recent orders must be re-applied in the sequence they occurred."
-- severity: error
-- A re-apply is an accepted order whose receipt_number's previous accepted order at the store
-- was voided (successfully) in between. Re-applies after the same last void belong to one
-- correction; within it, an order re-applied after an order that originally came later is
-- out of sequence.
WITH sales AS (
    SELECT exchange_id, started_at, store, receipt_number, reference_number FROM spoonity
    WHERE operation = 'order.process' AND outcome = 'ok' AND coalesce(receipt_number, '') <> ''
),
done AS (
    SELECT started_at, store, receipt FROM spoonity WHERE operation = 'order.void' AND outcome = 'ok'
),
previous AS (  -- each sale with the previous accepted order of its receipt
    SELECT r.exchange_id, r.started_at, r.store, r.receipt_number,
           o.started_at AS first_at, o.reference_number AS first_reference
    FROM sales r
    JOIN sales o ON o.store IS NOT DISTINCT FROM r.store AND o.receipt_number = r.receipt_number
                AND o.started_at < r.started_at
    QUALIFY row_number() OVER (PARTITION BY r.exchange_id ORDER BY o.started_at DESC) = 1
),
reapplies AS (
    SELECT p.*, (SELECT max(d.started_at) FROM done d
                 WHERE d.store IS NOT DISTINCT FROM p.store AND d.started_at < p.started_at) AS after_void
    FROM previous p
    WHERE EXISTS (SELECT 1 FROM done d
                  WHERE d.store IS NOT DISTINCT FROM p.store AND d.receipt = p.first_reference
                    AND d.started_at > p.first_at AND d.started_at < p.started_at)
)
SELECT a.exchange_id, a.started_at, 'spoonity' AS vendor, 'order.process' AS operation,
       printf('re-applied receipt_number %s (first sold %s) after %s (first sold %s, later): re-apply the '
              || 'voided orders in the sequence they occurred', a.receipt_number, strftime(a.first_at, '%H:%M:%S'),
              b.receipt_number, strftime(b.first_at, '%H:%M:%S')) AS detail
FROM reapplies a
JOIN reapplies b ON b.store IS NOT DISTINCT FROM a.store AND b.after_void = a.after_void
                AND b.started_at < a.started_at AND b.first_at > a.first_at
QUALIFY row_number() OVER (PARTITION BY a.exchange_id ORDER BY b.started_at) = 1
