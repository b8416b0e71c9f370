-- sessions: SPOT session behaviour per session (pseudonym): how it was obtained, how long it
-- lived, its longest idle time, and requests sent after the documented 20-minute idle expiry.
-- The GetToken or Login that issued a session starts its idle timer (spot_session_uses).
WITH tokens AS (
    SELECT count(*) FILTER (WHERE request_type = 'GetToken') AS get_tokens,
           count(*) FILTER (WHERE request_type <> 'GetToken') AS other_requests
    FROM spot
)
SELECT u.session,
       min(u.request_type) FILTER (WHERE u.issued) AS issued_by,
       count(*) FILTER (WHERE NOT u.issued) AS requests,
       min(u.started_at) FILTER (WHERE NOT u.issued) AS first_use,
       max(u.started_at) FILTER (WHERE NOT u.issued) AS last_use,
       round(max(seconds_between(u.previous_at, u.started_at)) FILTER (WHERE NOT u.issued)) AS longest_idle_seconds,
       count(*) FILTER (WHERE NOT u.issued AND u.started_at - u.previous_at > INTERVAL 20 MINUTE) AS after_idle_expiry,
       count(*) FILTER (WHERE NOT u.issued AND u.outcome <> 'ok') AS not_ok,
       (SELECT get_tokens FROM tokens) AS get_tokens_in_recording,
       (SELECT round(other_requests / greatest(get_tokens, 1), 1) FROM tokens) AS requests_per_token
FROM spot_session_uses u
GROUP BY u.session
HAVING count(*) FILTER (WHERE NOT u.issued) > 0
ORDER BY first_use;
