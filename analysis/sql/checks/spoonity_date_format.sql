-- rule: spoonity-date-not-unix-seconds
-- doc: Spoonity Order API: Process an order / Process a gift card: date "listed as a Unix timestamp in seconds from 1970-01-01 00:00:00 in the customer's local time."
-- severity: error
-- A whole number of seconds, as a JSON integer or a string of digits (the documented order
-- request sends "1422901482"), between 2000 and 2100: 13 digits are milliseconds, and
-- 20261102 is a calendar date, not seconds. Whether it is today is not judged here.
SELECT exchange_id, started_at, 'spoonity' AS vendor, operation,
       printf('date %s is not a Unix timestamp in seconds%s', date_json,
              CASE WHEN length(trim(date_json, '"')) BETWEEN 12 AND 14 AND regexp_full_match(trim(date_json, '"'), '[0-9]+')
                   THEN ' (milliseconds?)' ELSE '' END) AS detail
FROM spoonity
WHERE operation IN ('order.process', 'gift-card') AND date_json IS NOT NULL AND date_json NOT IN ('null', '""')
  AND NOT (regexp_full_match(date_json, '"?[0-9]{9,10}"?')
           AND TRY_CAST(trim(date_json, '"') AS BIGINT) BETWEEN 946684800 AND 4102444799)
