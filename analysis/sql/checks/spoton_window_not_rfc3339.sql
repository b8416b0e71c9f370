-- rule: spoton-window-not-rfc3339
-- doc: SpotOn POS Export, Cash Deposits and Paid In/Outs, Params: "An RFC 3339 formatted date/time string (w/o milliseconds) for the start of the date/time range."
-- severity: error
-- Every window parameter sent (updatedAt* or createdAt*), whatever the resource. A value that is
-- no date/time at all is NULL in window_start/window_end, so the other window checks skip it:
-- this check is what reports it.
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       'not an RFC 3339 date/time without milliseconds (like 2020-02-28T00:00:00Z): '
       || array_to_string(list_transform(bad, lambda b: b.name || '=' || b.value), ', ') AS detail
FROM (
    SELECT *, list_filter([{'name': 'updatedAtStart', 'value': updated_at_start_text},
                           {'name': 'updatedAtEnd', 'value': updated_at_end_text},
                           {'name': 'createdAtStart', 'value': created_at_start_text},
                           {'name': 'createdAtEnd', 'value': created_at_end_text}],
                          lambda b: coalesce(b.value, '') <> ''  -- an empty value is spoton-window-missing
                                    AND (NOT regexp_full_match(b.value, '\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d([Zz]|[+-]\d\d:\d\d)')
                                         OR TRY_CAST(upper(b.value) AS TIMESTAMPTZ) IS NULL)) AS bad
    FROM spoton
)
WHERE len(bad) > 0
