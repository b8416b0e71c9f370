-- rule: spoonity-loyalty-payment-partial
-- doc: Spoonity Order API: Apply a loyalty pay payment: response amount "Indicates the amount in dollars that was removed from the user's account"
-- severity: warning
-- Guidance: a success whose removed amount is less than what was asked paid only part of
-- the order with points; the rest is still owed.
SELECT exchange_id, started_at, 'spoonity' AS vendor, operation,
       printf('loyalty payment of %s answered success with %s removed: the rest is still owed',
              CAST(amount AS VARCHAR), CAST(response_amount AS VARCHAR)) AS detail
FROM spoonity
WHERE operation = 'payment.loyalty' AND outcome = 'ok' AND amount > 0 AND response_amount IS NOT NULL
  AND abs(response_amount) < amount - 0.005
