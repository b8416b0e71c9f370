-- rule: spot-required-member-missing
-- doc: SPOT Public API: Making A Request, request object: RequestType "(Required) This is the type of request being sent." ... AccountKey "This must be provided on all requests."
-- severity: error
-- An anonymous GET action names its account by the ID parameter instead ("the ID parameter
-- (account specific)", Common Error Messages), so a GET with an ID needs no AccountKey.
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s %s was sent without %s', method, path,
              concat_ws(' and ', CASE WHEN request_type IS NULL THEN 'RequestType' END,
                        CASE WHEN coalesce(account_key, '') = '' THEN 'AccountKey' END)) AS detail
FROM spot
WHERE request_type IS NULL
   OR (coalesce(account_key, '') = '' AND NOT (method = 'GET' AND sends_id))
