-- The spot view over `exchanges` (which analysis/views.py defines over the cassettes).
-- Values are as stored: redacted. A SPOT session is its pseudonym, so sessions can be
-- followed without anybody seeing a SessionID. A member is read from the JSON request
-- object, else from the query (GET actions), else from a deprecated XML body.

-- (The JSON path is spelt out by each caller: a path built per row is parsed per row.)
CREATE OR REPLACE MACRO spot_member(body, query, json_path, name) AS
    coalesce(jget(body, json_path),
             url_decode(NULLIF(regexp_extract(query, '(?:^|&)' || name || '=([^&]*)', 1), '')),
             CASE WHEN starts_with(ltrim(body), '<')
                  THEN NULLIF(regexp_extract(body, '<' || name || '>\s*([^<]*?)\s*</' || name || '>', 1), '') END);

CREATE OR REPLACE VIEW spot AS
SELECT exchange_id, cassette, started_at, duration_ms, method, path, query, api, status, outcome, outcome_message,
       operation AS request_type, params_encoding, params_json,
       spot_member(request_body_text, query, '$.SessionID', 'SessionID') AS session,
       jget(response_body_text, '$.ReturnObject.SessionID') AS new_session,
       spot_member(request_body_text, query, '$.AccountKey', 'AccountKey') AS account_key,
       spot_member(request_body_text, query, '$.UserAgent', 'UserAgent') AS user_agent,
       -- anywhere in the request: the envelope, the query, the parameters (Base64 Body
       -- decoded), or an XML element
       (spot_member(request_body_text, query, '$.SecurityID', 'SecurityID') IS NOT NULL
           OR regexp_matches(coalesce(query, ''), '(?:^|&)SecurityID=')
           OR jget(params_json, '$.SecurityID') IS NOT NULL) AS sends_security_id,
       -- what browsers send with a cross-site POST and server-side code does not
       (header_value(request_headers, 'Origin') IS NOT NULL
           OR header_value(request_headers, 'Sec-Fetch-Mode') IS NOT NULL) AS from_browser,
       NULLIF(regexp_extract(coalesce(query, ''), '(?:^|&)ID=([^&]*)', 1), '') IS NOT NULL AS sends_id,
       lower(trim(split_part(coalesce(request_content_type, ''), ';', 1))) AS content_type,
       coalesce(request_body_size, 0) AS body_size,
       try_cast(jget(response_body_text, '$.Failed') AS BOOLEAN) AS failed,
       NULLIF(jget(response_body_text, '$.MessageDetails'), '') AS message_details
FROM exchanges WHERE vendor = 'spot';

-- Every moment a SPOT session was used: each request that sent it (a GetToken's SessionID
-- opens nothing and is left out), and the GetToken/Login response that issued it. The
-- documented timer runs from the last of these ("Each request will reset the expiration
-- timer for the session id provided"); `previous_at` is the one before.
CREATE OR REPLACE VIEW spot_session_uses AS
WITH events AS (
    SELECT exchange_id, started_at, request_type, session, FALSE AS issued, outcome
    FROM spot WHERE session IS NOT NULL AND request_type IS DISTINCT FROM 'GetToken'
    UNION ALL
    SELECT exchange_id, started_at, request_type, new_session AS session, TRUE AS issued, outcome
    FROM spot WHERE new_session IS NOT NULL
)
SELECT *, lag(started_at) OVER w AS previous_at, lag(issued) OVER w AS previous_issued,
       lag(request_type) OVER w AS previous_request_type
FROM events
WINDOW w AS (PARTITION BY session ORDER BY started_at, issued);
