-- rule: spoonity-member-type
-- doc: Spoonity Order API: Required attributes' types: till "integer", subtotal/total/amount "float", taxes/line_items/discount "array", cashier "object", receipt "integer"
-- severity: warning
-- Guidance: the documented requests themselves send `"receipt": "{reference_number}"` as a
-- string, so integers may come as strings of digits; a float may come as a JSON integer
-- (the documented order sends "subtotal": 10). Absent members are the missing-member rule's;
-- `date` is spoonity-date-not-unix-seconds'.
WITH typed AS (  -- one parse of each request for all the members
    SELECT exchange_id, started_at, operation,
           unnest(['till', 'receipt', 'subtotal', 'total', 'amount', 'taxes', 'line_items', 'discount', 'discounts', 'cashier']) AS member,
           unnest(['integer', 'integer', 'number', 'number', 'number', 'array', 'array', 'array', 'array', 'object']) AS kind,
           unnest(jraw(params_json, ['$.till', '$.receipt', '$.subtotal', '$.total', '$.amount', '$.taxes', '$.line_items', '$.discount', '$.discounts', '$.cashier'])) AS value
    FROM spoonity
    WHERE operation IN ('order.process', 'gift-card', 'payment.loyalty', 'order.void')
),
wrong AS (
    SELECT *, json_type(value) AS type FROM typed
    WHERE value IS NOT NULL AND json_type(value) <> 'NULL' AND NOT CASE kind
        WHEN 'integer' THEN json_type(value) IN ('BIGINT', 'UBIGINT') OR regexp_full_match(CAST(value AS VARCHAR), '"[0-9]+"')
        WHEN 'number' THEN json_type(value) IN ('BIGINT', 'UBIGINT', 'DOUBLE')
        WHEN 'array' THEN json_type(value) = 'ARRAY'
        WHEN 'object' THEN json_type(value) = 'OBJECT'
    END
)
SELECT exchange_id, started_at, 'spoonity' AS vendor, operation,
       printf('%s sent %s as %s; the docs type it %s',
              operation, string_agg(member, ', ' ORDER BY member),
              string_agg(lower(type), ', ' ORDER BY member),
              string_agg(CASE kind WHEN 'number' THEN 'float' ELSE kind END, ', ' ORDER BY member)) AS detail
FROM wrong GROUP BY exchange_id, started_at, operation
