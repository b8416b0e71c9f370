-- rule: xgl-order-state-per-action
-- doc: Xenial loyalty gateway samples: Simulate Accrual: "payment_status": "open", and "status": "pending"; Submit Order and Void Order: "payment_status": "paid", and "status": "closed"
-- severity: warning
-- Inferred from the samples only; an order without these members is not flagged.
SELECT exchange_id, started_at, 'xgl' AS vendor, action AS operation,
       printf('%s of order %s sends a %s order (payment_status %s, order_status %s)', action, coalesce(order_id, '(no order._id)'),
              CASE WHEN action IN ('simulateAccrual', 'redeemReward') THEN 'paid or closed' ELSE 'open or unpaid' END,
              coalesce(order_payment_status, '(absent)'), coalesce(order_status, '(absent)')) AS detail
FROM xgl
WHERE (action IN ('simulateAccrual', 'redeemReward')
       AND (lower(order_payment_status) = 'paid' OR lower(order_status) = 'closed'))
   OR (action IN ('submitOrder', 'voidOrder')
       AND (lower(order_payment_status) IN ('open', 'unpaid') OR lower(order_status) IN ('pending', 'open')))
