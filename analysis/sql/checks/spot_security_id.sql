-- rule: spot-securityid-outside-gettoken
-- doc: XplorSPOT API: the SecurityID is sent only to obtain a session (GetToken) or with CloseInvoice
-- severity: error
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s sent the SecurityID', request_type) AS detail
FROM spot
WHERE sends_security_id AND request_type NOT IN ('GetToken', 'CloseInvoice')
