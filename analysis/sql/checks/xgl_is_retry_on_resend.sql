-- rule: xgl-is-retry-on-resend
-- doc: Xenial loyalty gateway samples: Redeem Reward, Submit Order and Void Order send "is_retry": false, (a first attempt)
-- severity: warning
-- A re-send is the same action for the same order and transaction_token. A first attempt
-- without is_retry is not flagged (absent reads as false); a re-send must say true.
WITH attempts AS (
    SELECT *, row_number() OVER (PARTITION BY action, order_id, transaction_token ORDER BY started_at, exchange_id) AS attempt
    FROM xgl
    WHERE action IN ('redeemReward', 'submitOrder', 'voidOrder') AND order_id IS NOT NULL
)
SELECT exchange_id, started_at, 'xgl' AS vendor, action AS operation,
       CASE WHEN attempt = 1
            THEN printf('%s of order %s (transaction_token %s) is a first attempt but says is_retry true',
                        action, order_id, coalesce(transaction_token, '(none)'))
            ELSE printf('%s of order %s (transaction_token %s) is re-send number %d but says is_retry %s',
                        action, order_id, coalesce(transaction_token, '(none)'), attempt - 1,
                        coalesce(is_retry_text, '(absent)')) END AS detail
FROM attempts
WHERE (attempt = 1 AND is_retry IS TRUE) OR (attempt > 1 AND is_retry IS NOT TRUE)
