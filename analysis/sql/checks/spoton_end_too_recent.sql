-- rule: spoton-window-end-less-than-5-minutes-ago
-- doc: SpotOn POS export: "updatedAtEnd / createdAtEnd must be 5 or more minutes in the past" (replication lag)
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('%sEnd %s is %s before the request was sent', window_field, window_end, started_at - window_end) AS detail
FROM spoton
WHERE window_end > started_at - INTERVAL 5 MINUTE
