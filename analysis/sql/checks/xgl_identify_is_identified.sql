-- rule: xgl-identify-is-identified
-- doc: Xenial loyalty gateway samples: Identify Customers, Sample Response Body: "is_identified": true,
-- severity: warning
-- An accepted identifyCustomers that finds nobody (no customer, or is_identified false) is a 200
-- the POS may take for a success.
SELECT exchange_id, started_at, 'xgl' AS vendor, action AS operation,
       printf('identifyCustomers (transaction_token %s) answered %s', coalesce(transaction_token, '(none)'),
              CASE WHEN coalesce(json_array_length(response_customers), 0) = 0 THEN 'no customer'
                   ELSE 'is_identified false' END) AS detail
FROM xgl
WHERE action = 'identifyCustomers' AND outcome = 'ok' AND status < 400
  AND (coalesce(json_array_length(response_customers), 0) = 0
       OR list_contains(jmany(response_customers, '$[*].is_identified'), 'false'))
