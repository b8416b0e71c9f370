-- rule: spoton-window-end-less-than-5-minutes-ago
-- doc: SpotOn POS Export, Cash Deposits and Paid In/Outs: "updatedAtEnd must be 5 or more minutes in the past." / "createdAtEnd must be 5 or more minutes in the past." (replication lag)
-- severity: error
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       CASE WHEN window_end > started_at
            THEN printf('%sEnd %s is %s after the request was sent (in the future)', window_field, window_end_text,
                        window_end - started_at)
            ELSE printf('%sEnd %s is only %s before the request was sent (it must be 5 or more minutes)',
                        window_field, window_end_text, started_at - window_end) END AS detail
FROM spoton
WHERE action = 'list' AND window_end > started_at - INTERVAL 5 MINUTE
