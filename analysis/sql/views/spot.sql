-- The spot view over `exchanges` (which analysis/views.py defines over the cassettes).
-- Values are as stored: redacted. A SPOT session is its pseudonym, so sessions can be
-- followed without anybody seeing a SessionID.

CREATE OR REPLACE VIEW spot AS
SELECT exchange_id, cassette, started_at, duration_ms, method, path, status, outcome, outcome_message,
       operation AS request_type, params_encoding, params_json,
       coalesce(jget(request_body_text, '$.SessionID'),
                url_decode(NULLIF(regexp_extract(query, '(?:^|&)SessionID=([^&]*)', 1), ''))) AS session,
       jget(response_body_text, '$.ReturnObject.SessionID') AS new_session,
       coalesce(jget(request_body_text, '$.AccountKey'),
                url_decode(NULLIF(regexp_extract(query, '(?:^|&)AccountKey=([^&]*)', 1), ''))) AS account_key,
       jget(request_body_text, '$.SecurityID') IS NOT NULL
           OR regexp_matches(coalesce(query, ''), '(?:^|&)SecurityID=') AS sends_security_id
FROM exchanges WHERE vendor = 'spot';
