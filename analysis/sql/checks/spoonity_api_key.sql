-- rule: spoonity-api-key-missing
-- doc: Spoonity Order API: every request's Query parameters: api_key "An API key linked to the store making the request."
-- severity: error
SELECT exchange_id, started_at, 'spoonity' AS vendor, operation,
       printf('%s %s sent without the api_key query parameter that names the store', method, path) AS detail
FROM spoonity
WHERE operation IN ('order.process', 'gift-card', 'payment.loyalty', 'order.void') AND store IS NULL
