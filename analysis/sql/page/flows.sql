-- page: the other vendors' flows as bars in time, beside SPOT's sessions: each Spoonity order
-- from its sale to its void (by the void's receipt = the order's reference_number, per store),
-- and each XGL transaction (its transaction_token: member lookup -> accrual -> order) from its
-- first call to its last, with the actions it took.
WITH sales AS (
    SELECT store, receipt_number, reference_number, started_at, outcome
    FROM spoonity WHERE operation = 'order.process' AND reference_number IS NOT NULL
),
voids AS (
    SELECT store, reference_number, min(started_at) AS voided_at
    FROM spoonity WHERE operation = 'order.void' AND outcome = 'ok' GROUP BY ALL
)
SELECT 'spoonity' AS vendor,
       printf('Spoonity %s', coalesce(s.receipt_number, s.reference_number)) AS lane,
       s.started_at AS first_at, coalesce(v.voided_at, s.started_at) AS last_at,
       CASE WHEN v.voided_at IS NULL THEN 'sold' ELSE 'sold, then voided' END AS what
FROM sales s LEFT JOIN voids v USING (store, reference_number)
UNION ALL
SELECT 'xgl', printf('XGL %s', transaction_token), min(started_at), max(started_at),
       string_agg(action, ' → ' ORDER BY started_at)
FROM xgl WHERE transaction_token IS NOT NULL
GROUP BY transaction_token
ORDER BY first_at, lane;
