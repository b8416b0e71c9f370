-- rule: spot-account-key-not-loaded
-- doc: SPOT Public API: Common Error Messages: "Unable to load account." "The account key is invalid or an unknown error loading the account has occurred. Make sure you are using the correct account key"
-- severity: error
-- An AccountKey every request of which failed to load: an invalid key. A one-off failure
-- for a key that works elsewhere is the "unknown error" (reports/errors.sql lists it).
WITH keys AS (
    SELECT account_key FROM spot WHERE account_key IS NOT NULL
    GROUP BY account_key
    HAVING bool_and(coalesce(outcome_message, '') LIKE 'Unable to load account.%')
)
SELECT exchange_id, started_at, 'spot' AS vendor, request_type AS operation,
       printf('%s for AccountKey %s: %s (no request with this key loaded its account)', request_type, account_key,
              outcome_message) AS detail
FROM spot JOIN keys USING (account_key)
