-- rule: spoton-window-start-not-before-end
-- doc: SpotOn POS export: start is inclusive, end exclusive: the start must come before the end
-- severity: error
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('%sStart %s is not before %sEnd %s', window_field, window_start, window_field, window_end) AS detail
FROM spoton
WHERE window_start >= window_end
