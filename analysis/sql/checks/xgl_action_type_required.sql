-- rule: xgl-action-type-required
-- doc: Xenial loyalty gateway samples: every Sample Request Body names its operation, e.g. Void Order: "action_type": "voidOrder",
-- severity: error
SELECT exchange_id, started_at, 'xgl' AS vendor, coalesce(action, '(none)') AS operation,
       printf('%s %s request has no action_type: the gateway cannot tell which operation it is',
              method, CASE WHEN envelope_path IS NOT NULL OR envelope_method IS NOT NULL
                           THEN 'outHTTP envelope' ELSE 'bare JSON' END) AS detail
FROM xgl WHERE action IS NULL
