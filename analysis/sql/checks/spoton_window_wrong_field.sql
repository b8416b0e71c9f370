-- rule: spoton-window-wrong-field
-- doc: SpotOn POS Export: Cash Deposits: "Cash Deposits that were last updated during the specified date/time range will be returned." (updatedAtStart/End); Paid In/Outs: "The POS currently does not track the last updated date for paid in/outs (we only have the created date/time)." (createdAtStart/End)
-- severity: error
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       CASE resource
            WHEN 'paid-in-outs'
            THEN printf('paid in/outs are polled by createdAtStart/createdAtEnd (the POS does not track their '
                        'last updated date); this call sends updatedAtStart=%s, updatedAtEnd=%s',
                        coalesce(updated_at_start_text, '(none)'), coalesce(updated_at_end_text, '(none)'))
            ELSE printf('cash deposits are polled by their last update, updatedAtStart/updatedAtEnd; this call '
                        'sends createdAtStart=%s, createdAtEnd=%s',
                        coalesce(created_at_start_text, '(none)'), coalesce(created_at_end_text, '(none)')) END AS detail
FROM spoton
WHERE action = 'list'
  AND ((resource = 'paid-in-outs' AND sends_updated_at) OR (resource = 'cash-deposits' AND sends_created_at))
