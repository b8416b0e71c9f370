-- rule: spoton-cash-deposits-before-2020-02-05
-- doc: SpotOn POS Export, Cash Deposits: "No cash deposits with a "lastUpdated" date prior to 2/5/2020 exist" ... "(but all with a "lastUpdated" date of 2/5/2020)"
-- severity: warning
-- Only a window that ends by 2020-02-05 00:00 UTC (the doc gives no time zone): it can return
-- nothing. A sweep that merely starts before that date is legitimate.
SELECT exchange_id, started_at, 'spoton' AS vendor, operation,
       printf('updatedAt window %s .. %s ends by 2020-02-05: no cash deposit was last updated before then '
              '(older deposits were imported with a last update of 2020-02-05)',
              window_start_text, window_end_text) AS detail
FROM spoton
WHERE action = 'list' AND resource = 'cash-deposits' AND window_end <= TIMESTAMPTZ '2020-02-05 00:00:00+00'
