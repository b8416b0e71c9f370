-- The xgl view over `exchanges` (which analysis/views.py defines over the cassettes).
-- Values are as stored: redacted.

CREATE OR REPLACE VIEW xgl AS
SELECT exchange_id, cassette, started_at, duration_ms, status, outcome, outcome_message,
       operation AS action,
       list_filter(request_headers, lambda h: lower(h.name) = 'x-site-ids')[1].value AS site_ids,
       list_filter(request_headers, lambda h: lower(h.name) = 'x-company-id')[1].value AS company_id,
       jget(params_json, '$.transaction_token') AS transaction_token,
       jget(params_json, '$.order._id') AS order_id,
       params_json
FROM exchanges WHERE vendor = 'xgl';
