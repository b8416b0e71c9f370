-- rule: xgl-headers-match-order
-- doc: Xenial loyalty gateway samples: Void Order, the order of the headers' company and site: "company_id": "62ea9f6ed4770e287c3ab373", and site_info "id": "6463a0683d01ab9b50c90d73",
-- severity: warning
SELECT exchange_id, started_at, 'xgl' AS vendor, action AS operation,
       printf('%s of order %s: %s', action, coalesce(order_id, '(no order._id)'),
              concat_ws('; ',
                  CASE WHEN order_company_id <> company_id
                       THEN printf('order.company_id %s is not x-company-id %s', order_company_id, company_id) END,
                  CASE WHEN NOT list_contains(list_transform(string_split(site_ids, ','), lambda s: trim(s)), order_site_id)
                       THEN printf('order.site_info.id %s is not in x-site-ids %s', order_site_id, site_ids) END)) AS detail
FROM xgl
WHERE order_company_id <> company_id
   OR NOT list_contains(list_transform(string_split(site_ids, ','), lambda s: trim(s)), order_site_id)
