-- rule: spoonity-missing-required-member
-- doc: Spoonity Order API: "Required attributes" of Process an order (card_number ... discount), Process a gift card, Apply a loyalty pay payment (card_number, amount) and Void an order (receipt)
-- severity: error
-- Absent, null or "" counts as missing. The order's last attribute is named `discount` but
-- the documented request sends `discounts`: either is accepted. The gift card lists
-- receipt_number and cashier too, but the documented gift card request sends neither, so
-- only what that request sends is required.
WITH required AS (
    SELECT exchange_id, started_at, operation, params_json,
           CASE operation
               WHEN 'order.process' THEN ['card_number', 'till', 'receipt_number', 'subtotal', 'taxes', 'total',
                                          'payment_method', 'date', 'cashier', 'line_items']
               WHEN 'gift-card' THEN ['card_number', 'till', 'amount', 'date']
               WHEN 'payment.loyalty' THEN ['card_number', 'amount']
               WHEN 'order.void' THEN ['receipt']
           END AS members
    FROM spoonity WHERE operation IN ('order.process', 'gift-card', 'payment.loyalty', 'order.void')
),
missing AS (
    SELECT *, list_filter(members, lambda m: coalesce(CAST(jraw(params_json, '$.' || m) AS VARCHAR), 'null')
                                          IN ('null', '""'))
              || CASE WHEN operation = 'order.process'
                           AND coalesce(CAST(jraw(params_json, '$.discount') AS VARCHAR), 'null') = 'null'
                           AND coalesce(CAST(jraw(params_json, '$.discounts') AS VARCHAR), 'null') = 'null'
                      THEN ['discount'] ELSE [] END AS absent
    FROM required
)
SELECT exchange_id, started_at, 'spoonity' AS vendor, operation,
       printf('%s sent without the required %s', operation, array_to_string(absent, ', ')) AS detail
FROM missing WHERE len(absent) > 0
