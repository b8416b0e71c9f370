"""Spoonity checks: each fires on one planted violation and stays quiet on documented behaviour.

The compliant day is what the Spoonity Order API documents, at two stores (two api_keys):
orders each followed by ``DELETE onscreen_close`` at the store that closes sessions, the
same POS receipt numbers at both stores, a void back to an older sale (the more recent
ones voided first, then re-applied in the sequence they occurred), a retry of an order
that failed inside a 200, a gift card after the last sale (not a sale: voiding that sale
stays in order), and loyalty payments.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.analysis.har_day import at, call, exchange_at, import_day
from tillroll.analysis import checks
from tillroll.analysis.views import connect

STORE_A, STORE_B = "3b9f0c2a7d1e4f5a8b6c", "77e2d4c6a8b0f1e3d5c7"
CARD = "brandin@spoonity.com"
ERRORLESS = {"errors": [], "code": None, "reference_id": None}
RULES = (
    "spoonity-receipt-processed-twice",
    "spoonity-void-not-most-recent",
    "spoonity-void-receipt-not-reference-number",
    "spoonity-reapply-out-of-sequence",
    "spoonity-missing-required-member",
    "spoonity-date-not-unix-seconds",
    "spoonity-member-type",
    "spoonity-api-key-missing",
    "spoonity-void-not-delete",
    "spoonity-session-not-closed-after-order",
    "spoonity-loyalty-payment-partial",
)


def url(path: str, store: str | None = STORE_A) -> str:
    return f"https://api.spoonity.com{path}" + (f"?api_key={store}" if store else "")


def order_body(receipt: str, **changes) -> dict:
    """The documented order request (Process an order), with *changes* (``None`` removes)."""
    body = {"card_number": CARD, "till": 1, "receipt_number": receipt, "subtotal": 10, "taxes": [], "total": 10,
            "payment_method": "CASH", "date": "1762074000", "cashier": {"id": "_tony_", "name": "Tony"},
            "line_items": [{"id": "__unknown_id", "name": "Unknown product", "categories": [], "discounts": [],
                            "price": 10, "quantity": 1, "modifiers": []}], "discounts": []}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def order(minute: float, receipt: str, reference: str | None, store: str = STORE_A, **changes) -> dict:
    """An order; *reference* ``None`` is a failure inside a 200 (``"success": "false"``)."""
    if reference is None:
        response = {"success": "false", "error": {"errors": [f"Duplicate receipt_number {receipt!r}"],
                                                  "code": 409, "reference_id": None}}
    else:
        response = {"reference_number": reference, "success": "true",
                    "receipt_data": {"lines": ["100 points added"]}, "error": ERRORLESS}
    return call(at(minute), "POST", url("/order", store), json_body=order_body(receipt, **changes),
                response=response)


def close(minute: float, store: str = STORE_A) -> dict:
    return call(at(minute), "DELETE", url("/onscreen_close", store), response={"success": True})


def void(minute: float, receipt: str, store: str = STORE_A, *, voided: bool = True, method: str = "DELETE") -> dict:
    response = {"voided": True} if voided else {"voided": False, "error": {"errors": ["not voided"], "code": 409,
                                                                            "reference_id": None}}
    return call(at(minute), method, url("/order", store), json_body={"receipt": receipt}, response=response)


def gift_card(minute: float, reference: str, **changes) -> dict:
    body = {"card_number": CARD, "till": 1, "amount": 10.00, "date": 1762074000, **changes}
    return call(at(minute), "POST", url("/order"), json_body={k: v for k, v in body.items() if v is not None},
                response={"success": True, "reference_number": reference, "receipt_data": {
                    "lines": ["Successfully added 10 quick pay balance"]}, "error": ERRORLESS})


def loyalty(minute: float, amount: float | None = 2.0, removed: float = -2, store: str | None = STORE_A) -> dict:
    body = {"card_number": CARD} | ({} if amount is None else {"amount": amount})
    return call(at(minute), "POST", url("/order/payments/loyalty", store), json_body=body,
                response={"success": True, "amount": removed, "transaction_id": "20720675", "error": ERRORLESS})


def compliant_day(*, reapplied: tuple[str, str] = ("R-3", "R-4")) -> list[dict]:
    first, second = reapplied
    return [
        loyalty(0),
        order(1, "R-1", "9001"), close(1.1),
        order(2, "R-1", "5001", STORE_B),  # the same POS numbering at another store
        order(3, "R-2", "9002"), close(3.1),
        order(4, "R-3", "9003"), close(4.1),
        order(5, "R-4", "9004"), close(5.1),
        order(6, "R-2", "5002", STORE_B, date=1762074360),
        # to void R-2: void the more recent first, then R-2, then re-apply in sequence
        void(7, "9004"), void(8, "9003"), void(9, "9002"),
        order(10, first, "9005"), close(10.1),
        order(11, second, "9006"), close(11.1),
        void(12, "5002", STORE_B),  # the most recent sale of store B (A's are more recent)
        order(13, "R-5", None),  # failed inside a 200 ...
        order(14, "R-5", "9007"), close(14.1),  # ... and retried
        gift_card(15, "9100"),  # the documented gift card request: not a sale
        void(16, "9007"),
    ]


def findings(cassette, rule: str | None = None) -> list[checks.Finding]:
    """The findings of the Spoonity checks (only those run: the module stays fast)."""
    found = checks.run(connect([cassette]), [c for c in checks.load() if c.rule.startswith("spoonity-")])
    return [f for f in found if rule is None or f.rule == rule]


@pytest.fixture(scope="module")
def compliant(tmp_path_factory):
    return import_day(tmp_path_factory.mktemp("spoonity") / "day", compliant_day())


def test_the_compliant_day_is_decoded_as_documented(compliant):
    con = connect([compliant])
    ops = dict(con.sql("SELECT operation, count(*) FROM spoonity GROUP BY ALL").fetchall())
    assert ops == {"order.process": 10, "session.close": 7, "order.void": 5, "gift-card": 1, "payment.loyalty": 1}
    [(stores, keys)] = con.sql("SELECT count(DISTINCT store), string_agg(DISTINCT store, ' ') FROM spoonity"
                               ).fetchall()
    assert stores == 2
    assert STORE_A not in keys and STORE_B not in keys and keys.count("tillroll:apikey:") == 2
    failed = con.sql("SELECT receipt_number, outcome FROM spoonity WHERE outcome <> 'ok'").fetchall()
    assert failed == [("R-5", "failed")]  # "success": "false" (a string) inside a 200


def test_documented_behaviour_breaks_no_spoonity_rule(compliant):
    assert [(f.rule, f.detail) for f in findings(compliant)] == []


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_is_a_check_quiet_on_the_compliant_day(compliant, rule):
    assert rule in {c.rule for c in checks.load()}
    assert findings(compliant, rule) == []


def test_every_spoonity_check_is_tested_here():
    assert sorted(c.rule for c in checks.load() if c.rule.startswith("spoonity-")) == sorted(RULES)


def plant(tmp_path, entries: list[dict], minute: float, rule: str) -> checks.Finding:
    """*entries* added to the compliant day; the one finding of *rule*, on the exchange at *minute*."""
    cassette = import_day(tmp_path / "c", compliant_day() + entries)
    found = findings(cassette, rule)
    assert [f.exchange_id for f in found] == [exchange_at(cassette, at(minute))], [f.detail for f in found]
    return found[0]


def test_a_receipt_sent_again_while_its_order_stands(tmp_path):
    found = plant(tmp_path, [order(17, "R-1", None)], 17, "spoonity-receipt-processed-twice")
    assert "R-1" in found.detail and "9001" in found.detail
    assert found.severity == "error"


def test_a_void_of_an_older_sale_before_the_more_recent_ones(tmp_path):
    found = plant(tmp_path, [void(17, "9001", voided=False)], 17, "spoonity-void-not-most-recent")
    assert "voided 9001" in found.detail and "9006 was the most recent" in found.detail


def test_a_void_of_an_order_voided_already(tmp_path):
    found = plant(tmp_path, [void(17, "9007", voided=False)], 17, "spoonity-void-not-most-recent")
    assert "voided already at 09:16:00" in found.detail


def test_a_void_naming_the_receipt_number(tmp_path):
    found = plant(tmp_path, [void(17, "R-1", voided=False)], 17, "spoonity-void-receipt-not-reference-number")
    assert "R-1" in found.detail and "9001" in found.detail


def test_re_applies_out_of_the_sequence_the_sales_occurred(tmp_path):
    cassette = import_day(tmp_path / "c", compliant_day(reapplied=("R-4", "R-3")))
    found = findings(cassette, "spoonity-reapply-out-of-sequence")
    assert [f.exchange_id for f in found] == [exchange_at(cassette, at(11))]
    assert "R-3" in found[0].detail and "after R-4" in found[0].detail


@pytest.mark.parametrize("entry,missing", [
    (order(17, "R-6", "9008", cashier=None, discounts=None), "cashier, discount"),
    (gift_card(17, "9101", till=None), "till"),
    (loyalty(17, amount=None), "amount"),
])
def test_a_request_without_a_required_member(tmp_path, entry, missing):
    found = plant(tmp_path, [entry, close(17.1)], 17, "spoonity-missing-required-member")
    assert found.detail.endswith(f"without the required {missing}")


def test_a_date_in_milliseconds(tmp_path):
    found = plant(tmp_path, [order(17, "R-6", "9008", date=1762074000000), close(17.1)], 17,
                  "spoonity-date-not-unix-seconds")
    assert "1762074000000" in found.detail and "milliseconds" in found.detail


def test_a_subtotal_sent_as_a_string(tmp_path):
    found = plant(tmp_path, [order(17, "R-6", "9008", subtotal="10.00"), close(17.1)], 17, "spoonity-member-type")
    assert found.severity == "warning"
    assert "subtotal" in found.detail and "float" in found.detail


def test_a_call_without_the_store_api_key(tmp_path):
    found = plant(tmp_path, [loyalty(17, store=None)], 17, "spoonity-api-key-missing")
    assert "api_key" in found.detail


def test_a_void_sent_as_a_post(tmp_path):
    found = plant(tmp_path, [void(17, "9006", voided=False, method="POST")], 17, "spoonity-void-not-delete")
    assert "POST" in found.detail and "9006" in found.detail


def test_an_order_not_followed_by_onscreen_close(tmp_path):
    found = plant(tmp_path, [order(17, "R-6", "9008")], 17, "spoonity-session-not-closed-after-order")
    assert found.severity == "warning" and "9008" in found.detail


def test_a_store_that_never_closes_sessions_is_not_judged(compliant):
    con = connect([compliant])
    [(b_orders,)] = con.sql("SELECT count(*) FROM spoonity WHERE operation = 'order.process' "
                            "AND store <> (SELECT store FROM spoonity WHERE operation = 'session.close' LIMIT 1)"
                            ).fetchall()
    assert b_orders == 2
    assert findings(compliant, "spoonity-session-not-closed-after-order") == []


def test_a_loyalty_payment_that_removed_less_than_asked(tmp_path):
    found = plant(tmp_path, [loyalty(17, amount=5.0, removed=-2.5)], 17, "spoonity-loyalty-payment-partial")
    assert found.severity == "warning" and "5.0" in found.detail and "-2.5" in found.detail


def test_the_documented_curl_requests_break_no_rule(tmp_path):
    """The doc's four requests as ``curl -G -d '{json}'`` sends them: the JSON in the query."""
    def curl(minute, method, path, doc, response):
        query = quote(json.dumps(doc, separators=(",", ":")))
        return call(at(minute), method, f"{url(path)}&{query}", response=response)

    day = [
        curl(0, "GET", "/order", order_body("BC-PROMO-005", date="1422901482", card_number="brandin@spoonity.com"),
             {"reference_number": "17074524", "success": "true", "error": ERRORLESS}),
        curl(1, "GET", "/order", {"card_number": "brandin@spoonity.com", "till": 1, "amount": 10.00,
                                  "date": 1416240444},
             {"success": True, "reference_number": "17074472", "error": ERRORLESS}),
        curl(2, "GET", "/order/payments/loyalty", {"card_number": "brandin@spoonity.com", "amount": 10.00},
             {"success": True, "amount": -10, "transaction_id": "20720675", "error": ERRORLESS}),
        curl(3, "DELETE", "/order", {"receipt": "17074524"}, {"voided": True}),
    ]
    cassette = import_day(tmp_path / "c", day)
    con = connect([cassette])
    decoded = con.sql("SELECT operation, params_encoding FROM spoonity ORDER BY started_at").fetchall()
    assert decoded == [("order.process", "query-json"), ("gift-card", "query-json"),
                       ("payment.loyalty", "query-json"), ("order.void", "query-json")]
    assert findings(cassette) == []
