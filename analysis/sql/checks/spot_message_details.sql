-- rule: spot-message-details-outside-server-error
-- doc: SPOT Public API: Common Response Object, MessageDetails: "Advanced message details. This will only populate if there is a server side error."
-- severity: warning
-- The vendor's side of the contract: details on a non-5xx answer are worth a look (they may
-- say more than the API should) and are not what a client can rely on.
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s answered HTTP %s with MessageDetails, which the docs fill only for server side errors: %s',
              request_type, status::VARCHAR, left(message_details, 200)) AS detail
FROM spot
WHERE message_details IS NOT NULL AND coalesce(status, 0) < 500
