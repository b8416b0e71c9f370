-- sessions: SPOT session behaviour per session (pseudonym): how it was obtained, how long it
-- lived, its longest idle time, and requests sent after the documented 20-minute idle expiry.
WITH uses AS (
    SELECT session, started_at, request_type, outcome, outcome_message,
           lag(started_at) OVER (PARTITION BY session ORDER BY started_at) AS previous_use
    FROM spot WHERE session IS NOT NULL
),
tokens AS (
    SELECT count(*) FILTER (WHERE request_type = 'GetToken') AS get_tokens,
           count(*) FILTER (WHERE request_type <> 'GetToken') AS other_requests
    FROM spot
)
SELECT u.session, count(*) AS requests, min(u.started_at) AS first_use, max(u.started_at) AS last_use,
       round(max(seconds_between(u.previous_use, u.started_at))) AS longest_idle_seconds,
       count(*) FILTER (WHERE u.started_at - u.previous_use > INTERVAL 20 MINUTE) AS after_idle_expiry,
       count(*) FILTER (WHERE u.outcome <> 'ok') AS not_ok,
       (SELECT get_tokens FROM tokens) AS get_tokens_in_recording,
       (SELECT round(other_requests / greatest(get_tokens, 1), 1) FROM tokens) AS requests_per_token
FROM uses u
GROUP BY u.session
ORDER BY first_use;
