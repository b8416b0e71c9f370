-- rule: spoton-window-older-than-90-days
-- doc: SpotOn POS Export: Cash Deposits: "Only those cash deposits that were last updated within the past 90 days (approximately) are available." / Paid In/Outs: "Only paid in/outs that were created within the last 90 days (approximately) are available."
-- severity: warning
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('%sStart %s is %s before the request: only about the last 90 days are available, '
              'so the window returns less than it asks for', window_field, window_start_text,
              started_at - window_start) AS detail
FROM spoton
WHERE action = 'list' AND window_start < started_at - INTERVAL 90 DAY
