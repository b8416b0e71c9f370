-- rule: xgl-required-members
-- doc: Xenial loyalty gateway samples: order calls send the order, e.g. Void Order: "_id": "7bd53c69-68ba-4449-bf09-4efb5d665339", and Reverse Balance: "reverse_rewards": [
-- severity: warning
SELECT exchange_id, started_at, 'xgl' AS vendor, action AS operation,
       CASE WHEN action = 'reverseBalance'
            THEN 'reverseBalance names no reverse_rewards[].transaction_id to reverse'
            ELSE printf('%s has no order._id (transaction_token %s)', action, coalesce(transaction_token, '(none)')) END AS detail
FROM xgl
WHERE (action IN ('simulateAccrual', 'redeemReward', 'submitOrder', 'voidOrder') AND (order_id IS NULL OR order_id = ''))
   OR (action = 'reverseBalance' AND len(reverse_transaction_ids) = 0)
