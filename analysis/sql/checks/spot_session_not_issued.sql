-- rule: spot-session-not-issued
-- doc: SPOT Public API: Making A Request, SessionID: "This is the unique identifier provided by GetToken or Login."
-- severity: warning
-- A session first used more than 20 minutes after the recording's first SPOT request, and
-- never issued by a recorded GetToken or Login: had it been issued before the recording
-- started it would have idled out by then. Its first use is reported.
WITH first_uses AS (
    SELECT u.exchange_id, u.started_at, u.request_type, u.session, u.issued,
           row_number() OVER (PARTITION BY u.session ORDER BY u.started_at, u.issued DESC) AS n,
           bool_or(u.issued) OVER (PARTITION BY u.session) AS ever_issued,
           s.cassette
    FROM spot_session_uses u JOIN spot s USING (exchange_id)
),
recording AS (SELECT cassette, min(started_at) AS first_at FROM spot GROUP BY cassette)
SELECT f.exchange_id, f.started_at, 'spot' AS vendor, f.request_type AS operation,
       printf('%s sent session %s, which no GetToken or Login issued (first SPOT request of the recording at %s)',
              f.request_type, f.session, strftime(r.first_at, '%H:%M:%S')) AS detail
FROM first_uses f JOIN recording r USING (cassette)
WHERE f.n = 1 AND NOT f.ever_issued AND f.started_at - r.first_at > INTERVAL 20 MINUTE
