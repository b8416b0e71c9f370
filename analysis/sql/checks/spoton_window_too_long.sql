-- rule: spoton-window-longer-than-7-days
-- doc: SpotOn POS Export, Cash Deposits and Paid In/Outs: "The duration of the date range cannot exceed 7 days."
-- severity: error
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('%s window %s .. %s is %s long (at most 7 days)', window_field, window_start_text, window_end_text,
              window_end - window_start) AS detail
FROM spoton
WHERE action = 'list' AND window_end - window_start > INTERVAL 7 DAY
