-- The spoonity view over `exchanges` (which analysis/views.py defines over the cassettes).
-- Values are as stored: redacted. A store is its `api_key` ("An API key linked to the store
-- making the request"), stored as a keyed pseudonym: stores can be told apart, and followed,
-- without anybody seeing a key. `reference_number` is the order a row is about: the
-- `receipt` a void names, else the one Spoonity returned. JSON members the checks judge by
-- type (`date`, `till`, ...) are kept as raw JSON text: `1416240444` and `"1422901482"`.

CREATE OR REPLACE VIEW spoonity AS
SELECT exchange_id, cassette, started_at, duration_ms, method, path, status, outcome, outcome_message,
       operation, params_encoding,
       url_decode(NULLIF(regexp_extract(query, '(?:^|&)api_key=([^&]*)', 1), '')) AS store,
       jget(params_json, '$.receipt_number') AS receipt_number,
       coalesce(jget(params_json, '$.receipt'),
                jget(response_body_text, '$.reference_number')) AS reference_number,
       jget(params_json, '$.receipt') AS receipt,
       jget(params_json, '$.card_number') AS card,
       jraw(params_json, '$.till') AS till,
       jraw(params_json, '$.date') AS date_json,
       TRY_CAST(jraw(params_json, '$.total') AS DOUBLE) AS total,
       TRY_CAST(jraw(params_json, '$.amount') AS DOUBLE) AS amount,
       jget(response_body_text, '$.success') AS success,
       jget(response_body_text, '$.voided') AS voided,
       jget(response_body_text, '$.error.code') AS error_code,
       jget(response_body_text, '$.error.reference_id') AS error_reference_id,
       jget(response_body_text, '$.transaction_id') AS transaction_id,
       TRY_CAST(jraw(response_body_text, '$.amount') AS DOUBLE) AS response_amount,
       params_json
FROM exchanges WHERE vendor = 'spoonity';
