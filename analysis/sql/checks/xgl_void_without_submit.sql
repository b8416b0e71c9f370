-- rule: xgl-void-without-submit
-- doc: Xenial loyalty gateway samples: Void Order, Sample Request Body, order.customer.loyalty_info: "submit_order": { with "transaction_id": "0c9a2fcd-9fb8-44b4-90e0-ae5155ea694b"
-- severity: error
-- A void is cleared by an earlier submitOrder of the same order that was not refused, or by
-- a submit_order.processed_at before the cassette's first XGL exchange (submitted before the
-- recording started).
WITH recorded AS (SELECT cassette, min(started_at) AS since FROM xgl GROUP BY cassette)
SELECT v.exchange_id, v.started_at, 'xgl' AS vendor, 'voidOrder' AS operation,
       printf('voidOrder of order %s, never submitted before (no earlier accepted submitOrder%s)',
              coalesce(v.order_id, '(no order._id)'),
              CASE WHEN v.submit_processed_at IS NOT NULL
                   THEN printf('; submit_order.processed_at %s', v.submit_processed_at) ELSE '' END) AS detail
FROM xgl v JOIN recorded r USING (cassette)
WHERE v.action = 'voidOrder'
  AND NOT EXISTS (SELECT 1 FROM xgl s WHERE s.action = 'submitOrder' AND s.order_id = v.order_id
                                       AND s.outcome NOT IN ('failed', 'error')
                                       AND s.started_at < v.started_at)
  AND coalesce(try_cast(v.submit_processed_at AS TIMESTAMPTZ) >= r.since, true)
