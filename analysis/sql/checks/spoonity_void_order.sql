-- rule: spoonity-void-not-most-recent
-- doc: Spoonity Order API: Void an order: "Orders can only be voided in order from the most recent sale."
-- severity: error
-- Per store (its api_key), the sales standing when a void is sent: the orders Spoonity
-- accepted (order.process; gift cards and loyalty payments are not sales) that no successful
-- void has undone. A void of an earlier sale must name the most recent of them. A void whose
-- receipt is no earlier sale of the store is spoonity-void-receipt-not-reference-number's.
-- (Linear, not a join of every void with every earlier sale: if the latest sale before a void
-- is its store's n-th and k sales were undone before it, the most recent standing sale is
-- among the n-k-th to n-th.)
WITH sales AS (
    SELECT started_at, coalesce(store, '') AS st, reference_number,
           row_number() OVER (PARTITION BY coalesce(store, '') ORDER BY started_at, exchange_id) AS n
    FROM spoonity WHERE operation = 'order.process' AND outcome = 'ok' AND reference_number IS NOT NULL
),
done AS (
    SELECT started_at, coalesce(store, '') AS st, receipt FROM spoonity
    WHERE operation = 'order.void' AND outcome = 'ok' AND receipt IS NOT NULL
),
undone AS (  -- each sale with the first successful void of it
    SELECT s.st, s.n, min(d.started_at) AS undone_at
    FROM sales s JOIN done d ON d.st = s.st AND d.receipt = s.reference_number AND d.started_at > s.started_at
    GROUP BY ALL
),
undone_so_far AS (
    SELECT st, undone_at, row_number() OVER (PARTITION BY st ORDER BY undone_at) AS k FROM undone
),
ledger AS (
    SELECT s.*, u.undone_at FROM sales s LEFT JOIN undone u USING (st, n)
),
voids AS (  -- each void of an earlier sale of its store, with that sale
    SELECT v.exchange_id, v.started_at, v.store, coalesce(v.store, '') AS st, v.receipt,
           t.started_at AS sold_at, CASE WHEN t.undone_at < v.started_at THEN t.undone_at END AS voided_at
    FROM spoonity v
    JOIN ledger t ON t.st = coalesce(v.store, '') AND t.reference_number = v.receipt AND t.started_at < v.started_at
    WHERE v.operation = 'order.void'
    QUALIFY row_number() OVER (PARTITION BY v.exchange_id ORDER BY t.started_at DESC) = 1
),
bounds AS (
    SELECT v.*, l.n AS latest, coalesce(u.k, 0) AS skipped
    FROM voids v
    ASOF JOIN ledger l ON l.st = v.st AND v.started_at > l.started_at
    ASOF LEFT JOIN undone_so_far u ON u.st = v.st AND v.started_at > u.undone_at
),
standing AS (  -- the most recent sale not undone before each void
    SELECT b.exchange_id, arg_max(c.reference_number, c.n) AS most_recent
    FROM bounds b
    JOIN ledger c ON c.st = b.st AND c.n BETWEEN b.latest - b.skipped AND b.latest
    WHERE c.undone_at IS NULL OR c.undone_at >= b.started_at
    GROUP BY b.exchange_id
)
SELECT b.exchange_id, b.started_at, 'spoonity' AS vendor, 'order.void' AS operation,
       CASE WHEN b.voided_at IS NOT NULL
            THEN printf('voided %s (sold %s) at store %s, which was voided already at %s',
                        b.receipt, strftime(b.sold_at, '%H:%M:%S'), coalesce(b.store, '(no api_key)'),
                        strftime(b.voided_at, '%H:%M:%S'))
            ELSE printf('voided %s (sold %s) while %s was the most recent sale at store %s: void that first',
                        b.receipt, strftime(b.sold_at, '%H:%M:%S'), m.most_recent, coalesce(b.store, '(no api_key)'))
       END AS detail
FROM bounds b LEFT JOIN standing m USING (exchange_id)
WHERE m.most_recent IS DISTINCT FROM b.receipt
