-- rule: spoton-window-end-less-than-5-minutes-ago
-- doc: SpotOn POS export: "updatedAtEnd / createdAtEnd must be 5 or more minutes in the past" (replication lag)
-- severity: error
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       CASE WHEN window_end > started_at
            THEN printf('%sEnd %s is %s after the request was sent (in the future)', window_field, window_end,
                        window_end - started_at)
            ELSE printf('%sEnd %s is only %s before the request was sent', window_field, window_end,
                        started_at - window_end) END AS detail
FROM spoton
WHERE window_end > started_at - INTERVAL 5 MINUTE
