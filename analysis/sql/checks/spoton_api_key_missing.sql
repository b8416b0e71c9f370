-- rule: spoton-api-key-missing
-- doc: SpotOn POS Export, Cash Deposits and Paid In/Outs, Headers: "x-api-key Your API Key"
-- severity: error
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('%s %s sent without the x-api-key header', method, path_template) AS detail
FROM spoton
WHERE NOT sends_api_key
