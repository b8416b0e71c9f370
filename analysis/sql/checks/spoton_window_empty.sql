-- rule: spoton-window-empty
-- doc: SpotOn POS Export, Cash Deposits and Paid In/Outs: "updatedAtStart is inclusive and updatedAtEnd is exclusive." / "createdAtStart is inclusive and createdAtEnd is exclusive." (so start = end asks for nothing)
-- severity: warning
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('%sStart and %sEnd are both %s: the start is inclusive and the end exclusive, so the window is empty '
              'and the call can return nothing', window_field, window_field, window_start_text) AS detail
FROM spoton
WHERE action = 'list' AND window_start = window_end
