-- rule: spoonity-void-not-most-recent
-- doc: Spoonity Order API: orders can only be voided from the most recent sale backwards
-- severity: error
WITH orders AS (
    SELECT started_at, reference_number FROM spoonity
    WHERE operation IN ('order.process', 'gift-card') AND outcome = 'ok' AND reference_number IS NOT NULL
),
voids AS (
    SELECT exchange_id, started_at, reference_number FROM spoonity WHERE operation = 'order.void'
),
open_at_void AS (  -- for each void: the most recent order not voided (successfully) before it
    SELECT v.exchange_id, v.started_at, v.reference_number AS voided,
           arg_max(o.reference_number, o.started_at) AS most_recent
    FROM voids v JOIN orders o ON o.started_at < v.started_at
    WHERE NOT EXISTS (SELECT 1 FROM spoonity x
                      WHERE x.operation = 'order.void' AND x.outcome = 'ok'
                        AND x.reference_number = o.reference_number AND x.started_at < v.started_at)
    GROUP BY ALL
)
SELECT exchange_id, started_at, 'spoonity' AS vendor, 'order.void' AS operation,
       printf('voided %s while %s was the most recent sale', voided, most_recent) AS detail
FROM open_at_void
WHERE voided <> most_recent
