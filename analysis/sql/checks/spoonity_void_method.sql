-- rule: spoonity-void-not-delete
-- doc: Spoonity Order API: Void an order, Request: "curl -G https://api.spoonity.com/order?api_key={api_key} \" … "--request DELETE \"
-- severity: error
-- A request that names an order to void (`receipt`, and no customer) sent with another
-- method is processed as something else, or refused; the order stays.
SELECT exchange_id, started_at, 'spoonity' AS vendor, operation,
       printf('void of receipt %s sent as %s %s; a void is DELETE /order', receipt, method, path) AS detail
FROM spoonity
WHERE receipt IS NOT NULL AND card IS NULL AND method <> 'DELETE'
