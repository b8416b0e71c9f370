-- rule: spoton-window-start-not-before-end
-- doc: SpotOn POS Export, Cash Deposits and Paid In/Outs: "updatedAtStart is inclusive and updatedAtEnd is exclusive." / "createdAtStart is inclusive and createdAtEnd is exclusive." (a start after the end is no range; start = end is an empty one, see spoton-window-empty)
-- severity: error
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('%sStart %s is after %sEnd %s', window_field, window_start_text, window_field, window_end_text) AS detail
FROM spoton
WHERE action = 'list' AND window_start > window_end
