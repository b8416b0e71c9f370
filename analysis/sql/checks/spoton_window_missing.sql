-- rule: spoton-window-missing
-- doc: SpotOn POS Export: Cash Deposits: "Retrieves all cash deposits that were last updated within the specified date/time range for the supplied location." / Paid In/Outs: "Retrieves all paid in/outs within the specified date/time range for the supplied location."
-- severity: error
-- A list call of a documented resource without both bounds of its documented window (cash deposits:
-- updatedAtStart/End; paid in/outs: createdAtStart/End). Every other window check compares these
-- values and so skips such a call: this check is what reports it.
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('%s list call without %s (%s are polled by %sStart and %sEnd)',
              resource,
              concat_ws(' and ', CASE WHEN coalesce(window_start_text, '') = '' THEN window_field || 'Start' END,
                                 CASE WHEN coalesce(window_end_text, '') = '' THEN window_field || 'End' END),
              resource, documented_field, documented_field) AS detail
FROM spoton
WHERE action = 'list' AND documented_field IS NOT NULL
  AND (coalesce(window_start_text, '') = '' OR coalesce(window_end_text, '') = '')
