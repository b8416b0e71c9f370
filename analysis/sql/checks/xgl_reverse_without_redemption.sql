-- rule: xgl-reverse-without-redemption
-- doc: Xenial loyalty gateway samples: Reverse Balance: "reverse_rewards": [ with "transaction_id": "123456", the id Redeem Balance returned in "converted_rewards": [
-- severity: error
-- The reversed transaction_id must be one an earlier answer gave back for a redemption
-- (converted_rewards[] of a balance redemption, rewards_data.redeemed_rewards[] of redeemReward).
WITH redeemed AS (
    SELECT started_at, unnest(redeemed_transaction_ids) AS transaction_id FROM xgl
), reversed AS (
    SELECT exchange_id, started_at, unnest(reverse_transaction_ids) AS transaction_id
    FROM xgl WHERE action = 'reverseBalance'
)
SELECT v.exchange_id, min(v.started_at) AS started_at, 'xgl' AS vendor, 'reverseBalance' AS operation,
       printf('reverseBalance reverses transaction_id %s, which no earlier redemption returned',
              string_agg(v.transaction_id, ', ' ORDER BY v.transaction_id)) AS detail
FROM reversed v
WHERE NOT EXISTS (SELECT 1 FROM redeemed r WHERE r.transaction_id = v.transaction_id AND r.started_at < v.started_at)
GROUP BY v.exchange_id
