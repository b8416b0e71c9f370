-- rule: xgl-redeem-before-submit
-- doc: Xenial loyalty gateway samples: offers are "status": "validated" when simulated or redeemed, "status": "redeemed" when the order is submitted
-- severity: warning
-- Inferred from the samples' sequence: an offer submitted as redeemed was redeemed earlier for
-- the same order (a redeemReward, or any answer that lists redeemed or converted rewards).
SELECT s.exchange_id, s.started_at, 'xgl' AS vendor, 'submitOrder' AS operation,
       printf('submitOrder of order %s sends %d offer(s) as redeemed, but no earlier redemption for that order was accepted',
              s.order_id, len(list_filter(s.offer_statuses, lambda x: x = 'redeemed'))) AS detail
FROM xgl s
WHERE s.action = 'submitOrder' AND list_contains(s.offer_statuses, 'redeemed')
  AND NOT EXISTS (SELECT 1 FROM xgl r
                  WHERE r.started_at < s.started_at AND r.outcome IN ('ok', 'partial')
                    AND (r.order_id = s.order_id OR r.transaction_token = s.transaction_token)
                    AND (r.action = 'redeemReward' OR len(r.redeemed_transaction_ids) > 0))
