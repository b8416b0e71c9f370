-- rule: xgl-void-without-submit
-- doc: Xenial loyalty gateway: voidOrder reverses an order submitted earlier with submitOrder
-- severity: error
SELECT v.exchange_id, v.started_at, 'xgl' AS vendor, 'voidOrder' AS operation,
       printf('voidOrder of order %s, never submitted before', v.order_id) AS detail
FROM xgl v
WHERE v.action = 'voidOrder'
  AND NOT EXISTS (SELECT 1 FROM xgl s WHERE s.action = 'submitOrder' AND s.order_id = v.order_id
                                       AND s.started_at < v.started_at)
