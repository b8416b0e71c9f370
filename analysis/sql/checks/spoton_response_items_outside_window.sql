-- rule: spoton-response-items-outside-window
-- doc: SpotOn POS Export: Paid In/Outs: "Retrieves all paid in/outs within the specified date/time range for the supplied location." / Cash Deposits: "Retrieves all cash deposits that were last updated within the specified date/time range for the supplied location."
-- severity: warning
-- What SpotOn answered, not what the integration sent: items of an ok list response whose
-- locationId is not the requested location, or whose createdAt (paid in/outs) / lastUpdatedAt
-- (cash deposits) is outside [start, end). Cash deposits imported on 2020-02-05 all carry that
-- date ("all with a "lastUpdated" date of 2/5/2020") and are not compared with the window.
WITH listed AS MATERIALIZED (
    SELECT exchange_id, started_at, operation, resource, location_id, documented_field, window_start, window_end
    FROM spoton
    WHERE action = 'list' AND outcome = 'ok' AND documented_field IS NOT NULL AND response_items > 0
      AND window_start < window_end
),
items AS (
    SELECT l.*, unnest(jraw(e.response_body_text, '$[*]')) AS item
    FROM listed l JOIN exchanges e USING (exchange_id)
),
judged AS (
    SELECT *, jget(item, '$.id') AS item_id, jget(item, '$.locationId') AS item_location,
           jget(item, CASE documented_field WHEN 'updatedAt' THEN '$.lastUpdatedAt' ELSE '$.createdAt' END) AS stamp_text
    FROM items
),
outside AS (
    SELECT *, TRY_CAST(upper(stamp_text) AS TIMESTAMPTZ) AS stamp
    FROM judged
)
SELECT exchange_id, any_value(started_at), 'spoton' AS vendor, any_value(operation),
       printf('%d of the returned %s are outside the request, e.g. id %s: %s', count(*), any_value(resource),
              arg_min(item_id, stamp),
              arg_min(CASE WHEN item_location IS DISTINCT FROM location_id
                           THEN printf('locationId %s, not %s', item_location, location_id)
                           ELSE printf('%s %s is outside %s .. %s',
                                       CASE documented_field WHEN 'updatedAt' THEN 'lastUpdatedAt' ELSE 'createdAt' END,
                                       stamp_text, window_start, window_end) END, stamp)) AS detail
FROM outside
WHERE item_location IS DISTINCT FROM location_id
   OR (NOT (documented_field = 'updatedAt' AND stamp >= TIMESTAMPTZ '2020-02-05 00:00:00+00'
            AND stamp < TIMESTAMPTZ '2020-02-06 00:00:00+00')
       AND (stamp IS NULL OR stamp < window_start OR stamp >= window_end))
GROUP BY exchange_id
