-- rule: spot-securityid-missing
-- doc: SPOT Public API: Making A Request, SecurityID: "(Required only on GetToken and CloseInvoice) This is the unique identifier that was provided by your client."
-- severity: error
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s was sent without the SecurityID it requires', request_type) AS detail
FROM spot
WHERE request_type IN ('GetToken', 'CloseInvoice') AND NOT sends_security_id
