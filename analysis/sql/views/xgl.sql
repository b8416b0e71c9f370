-- The xgl view over `exchanges` (which analysis/views.py defines over the cassettes).
-- Values are as stored: redacted.
-- The tenant (company_id, site_ids) is the HTTP request's headers, else the `outHTTP`
-- envelope's, which the profile decodes into params_json under `outHTTP` (names lower-cased).
-- The linking ids are the documented samples' paths: is_retry (redeemReward, submitOrder,
-- voidOrder), order.customer.loyalty_info.identify_customer / submit_order, the
-- reverse_rewards[].transaction_id a reverseBalance names, and the transaction ids a
-- response gives back (rewards_data.redeemed_rewards[], converted_rewards[]).

CREATE OR REPLACE VIEW xgl AS
SELECT exchange_id, cassette, started_at, duration_ms, status, outcome, outcome_message,
       operation AS action,
       method, request_content_type,
       coalesce(header_value(request_headers, 'x-site-ids'),
                jget(params_json, '$.outHTTP.headers."x-site-ids"')) AS site_ids,
       coalesce(header_value(request_headers, 'x-company-id'),
                jget(params_json, '$.outHTTP.headers."x-company-id"')) AS company_id,
       jget(params_json, '$.outHTTP.method') AS envelope_method,
       jget(params_json, '$.outHTTP.host') AS envelope_host,
       jget(params_json, '$.outHTTP.path') AS envelope_path,
       jget(params_json, '$.transaction_token') AS transaction_token,
       jget(params_json, '$.order._id') AS order_id,
       try_cast(jget(params_json, '$.is_retry') AS BOOLEAN) AS is_retry,
       jget(params_json, '$.is_retry') AS is_retry_text,
       jget(params_json, '$.date_time') AS date_time,
       jget(params_json, '$.receipt_datetime') AS receipt_datetime,
       jget(params_json, '$.local_date') AS local_date,
       jget(params_json, '$.local_time') AS local_time,
       jget(params_json, '$.order.company_id') AS order_company_id,
       jget(params_json, '$.order.site_info.id') AS order_site_id,
       jget(params_json, '$.order.order_status.status') AS order_status,
       jget(params_json, '$.order.payment_status') AS order_payment_status,
       jget(params_json, '$.order.customer.loyalty_info.identify_customer.transaction_id')
           AS identify_transaction_id,
       jget(params_json, '$.order.customer.loyalty_info.submit_order.transaction_id') AS submit_transaction_id,
       jget(params_json, '$.order.customer.loyalty_info.submit_order.processed_at') AS submit_processed_at,
       coalesce(list_filter(jmany(params_json, '$.order.customer.loyalty_info.offers[*].status'),
                            lambda s: s IS NOT NULL), []) AS offer_statuses,
       coalesce(list_filter(jmany(params_json, '$.reverse_rewards[*].transaction_id'),
                            lambda s: s IS NOT NULL), []) AS reverse_transaction_ids,
       coalesce(list_filter(list_concat(jmany(response_body_text, '$.rewards_data.redeemed_rewards[*].transaction_id'),
                                        jmany(response_body_text, '$.converted_rewards[*].transaction_id')),
                            lambda s: s IS NOT NULL), []) AS redeemed_transaction_ids,
       jget(response_body_text, '$.merchant_data.response_name') AS response_name,
       jget(response_body_text, '$.merchant_data.response_code') AS response_code,
       jraw(response_body_text, '$.customers') AS response_customers,
       params_json
FROM exchanges WHERE vendor = 'xgl';
