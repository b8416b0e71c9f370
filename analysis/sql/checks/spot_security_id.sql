-- rule: spot-securityid-outside-gettoken
-- doc: SPOT Public API: Making A Request, SecurityID: "(Required only on GetToken and CloseInvoice)" ... "Once you have retrieved a SessionID from GetToken, do not include this field."
-- severity: error
-- Anywhere in the request: the JSON envelope, the query, the parameters (a Base64 Body
-- decoded) or an XML element.
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s sent the SecurityID, which belongs only on GetToken and CloseInvoice',
              coalesce(request_type, 'a request without RequestType')) AS detail
FROM spot
WHERE sends_security_id AND request_type IS DISTINCT FROM 'GetToken' AND request_type IS DISTINCT FROM 'CloseInvoice'
