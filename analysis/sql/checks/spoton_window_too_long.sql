-- rule: spoton-window-longer-than-7-days
-- doc: SpotOn POS export (cash deposits, paid in/outs): "The duration of the date range cannot exceed 7 days."
-- severity: error
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('%s window %s .. %s is %s long', window_field, window_start, window_end, window_end - window_start) AS detail
FROM spoton
WHERE window_end - window_start > INTERVAL 7 DAY
