-- rule: spoonity-receipt-processed-twice
-- doc: Spoonity Order API: receipt_number identifies a sale; a sale is processed once
-- severity: error
SELECT exchange_id, started_at, 'spoonity' AS vendor, operation,
       printf('receipt_number %s was already sent at %s', receipt_number, first_sent) AS detail
FROM (
    SELECT exchange_id, started_at, operation, receipt_number,
           first_value(started_at) OVER (PARTITION BY receipt_number ORDER BY started_at) AS first_sent,
           row_number() OVER (PARTITION BY receipt_number ORDER BY started_at) AS nth
    FROM spoonity WHERE operation = 'order.process' AND receipt_number IS NOT NULL AND receipt_number <> ''
)
WHERE nth > 1
