-- The spoonity view over `exchanges` (which analysis/views.py defines over the cassettes).
-- Values are as stored: redacted.

CREATE OR REPLACE VIEW spoonity AS
SELECT exchange_id, cassette, started_at, duration_ms, status, outcome, outcome_message, operation,
       jget(params_json, '$.receipt_number') AS receipt_number,
       coalesce(jget(params_json, '$.receipt'),
                jget(response_body_text, '$.reference_number')) AS reference_number,
       jget(params_json, '$.card_number') AS card,
       TRY_CAST(jraw(params_json, '$.total') AS DOUBLE) AS total,
       TRY_CAST(jraw(params_json, '$.amount') AS DOUBLE) AS amount,
       params_json
FROM exchanges WHERE vendor = 'spoonity';
