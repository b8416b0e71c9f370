-- rule: xgl-transaction-token-present
-- doc: Xenial loyalty gateway samples: transaction calls carry a token, e.g. Void Order: "transaction_token": "3257374927" and Reverse Balance: "transaction_token": "1234567898",
-- severity: warning
SELECT exchange_id, started_at, 'xgl' AS vendor, action AS operation,
       printf('%s%s has no transaction_token', action,
              CASE WHEN order_id IS NOT NULL THEN printf(' of order %s', order_id) ELSE '' END) AS detail
FROM xgl
WHERE action IN ('identifyCustomers', 'simulateAccrual', 'redeemReward', 'submitOrder', 'voidOrder', 'reverseBalance')
  AND (transaction_token IS NULL OR transaction_token = '')
