"""Spoonity in the sandbox: the api_key, balances that move, void ordering, duplicate receipts."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from yarl import URL

from tests.samples import sample_json
from tillroll.sandbox import credentials as creds

KEY = {"api_key": creds.SPOONITY_API_KEY}
ORDER = sample_json("spoonity/01-order.process-request.json")
GIFT = sample_json("spoonity/02-gift-card-request.json")
LOYALTY = sample_json("spoonity/03-payment.loyalty-request.json")


def order(client, receipt: str, subtotal: float = 10):
    return client.post("/order", params=KEY, json={**ORDER, "receipt_number": receipt, "subtotal": subtotal})


def void(client, reference: str):
    return client.request("DELETE", "/order", params=KEY, json={"receipt": reference})


def balances(reply) -> dict[str, float]:
    return {b["type"]: b["balance"] for b in reply.json()["receipt_data"]["user"]["balances"]}


def test_the_docs_examples_give_the_docs_balances(sandbox):
    processed = sandbox.post("/order", params=KEY, json=ORDER)
    assert processed.status == 200
    body = processed.json()
    documented = sample_json("spoonity/01-order.process-response.json")
    assert list(body) == list(documented) and body["success"] is True
    assert body["receipt_data"]["lines"] == documented["receipt_data"]["lines"] == ["100 points added"]
    assert body["receipt_data"]["user"] == documented["receipt_data"]["user"]  # 6.36 quick pay, 9886 points

    gift = sandbox.post("/order", params=KEY, json=GIFT).json()
    assert gift["receipt_data"] == sample_json("spoonity/02-gift-card-response.json")["receipt_data"]

    paid = sandbox.post("/order/payments/loyalty", params=KEY, json=LOYALTY).json()
    assert paid["success"] is True and paid["amount"] == -10 and paid["transaction_id"]
    after = order(sandbox, "R-after", subtotal=0)
    assert balances(after) == {"Quick Pay": 16.36, "Loyalty": 9886 - 1000}


def test_gift_cards_cannot_overdraw_quick_pay(sandbox):
    reply = sandbox.post("/order", params=KEY, json={**GIFT, "amount": -100})
    assert reply.status == 200 and reply.json()["success"] is False
    assert "Insufficient quick pay" in reply.json()["error"]["errors"][0]
    spent = sandbox.post("/order", params=KEY, json={**GIFT, "amount": -2.5}).json()
    assert spent["receipt_data"]["lines"] == ["Successfully removed 2.5 quick pay balance"]
    assert spent["receipt_data"]["user"]["balances"][0]["balance"] == 3.86


def test_a_loyalty_payment_larger_than_the_points_fails(sandbox):
    reply = sandbox.post("/order/payments/loyalty", params=KEY, json={**LOYALTY, "amount": 1000})
    assert reply.status == 200 and reply.json()["success"] is False and reply.json()["error"]["code"] == 402


def test_voids_go_in_order_from_the_most_recent_sale(sandbox):
    first = order(sandbox, "R-1", subtotal=10).json()["reference_number"]
    second = order(sandbox, "R-2", subtotal=20).json()["reference_number"]

    out_of_order = void(sandbox, first)
    assert out_of_order.status == 200 and out_of_order.json()["voided"] is False
    assert second in out_of_order.json()["error"]["errors"][0]  # names the order to void first

    assert void(sandbox, second).json() == {"voided": True}
    assert void(sandbox, first).json() == {"voided": True}
    assert balances(order(sandbox, "R-3", subtotal=0))["Loyalty"] == 9786  # both orders' points taken back


def test_a_voided_receipt_can_be_reapplied_but_a_standing_one_is_a_duplicate(sandbox):
    reference = order(sandbox, "R-9").json()["reference_number"]
    duplicate = order(sandbox, "R-9")
    assert duplicate.status == 200 and duplicate.json()["success"] is False
    assert "Duplicate receipt_number" in duplicate.json()["error"]["errors"][0]
    void(sandbox, reference)
    reapplied = order(sandbox, "R-9").json()
    assert reapplied["success"] is True and reapplied["reference_number"] != reference
    assert void(sandbox, reference).json()["voided"] is False  # already voided


def test_voiding_an_unknown_reference_fails(sandbox):
    reply = void(sandbox, "17074524")
    assert reply.status == 200 and reply.json()["voided"] is False and reply.json()["error"]["code"] == 404


def test_an_unknown_card_fails_inside_a_200(sandbox):
    reply = sandbox.post("/order", params=KEY, json={**ORDER, "card_number": "nobody@example.com"})
    assert reply.status == 200 and reply.json()["success"] is False
    assert "nobody@example.com" in reply.json()["error"]["errors"][0]


@pytest.mark.parametrize("params", [{}, {"api_key": "wrong"}])
def test_the_api_key_is_required(sandbox, params):
    for reply in (sandbox.post("/order", params=params, json=ORDER),
                  sandbox.request("DELETE", "/order", params=params, json={"receipt": "1"}),
                  sandbox.post("/order/payments/loyalty", params=params, json=LOYALTY)):
        assert reply.status == 401 and reply.json()["success"] is False
        assert "api_key" in reply.json()["error"]["errors"][0]


def curl_get(client, path: str, doc: dict, *, method: str = "GET"):
    """What ``curl -G https://.../order?api_key=K -d '<json>'`` sends: the JSON appended to the query."""
    raw = f"api_key={creds.SPOONITY_API_KEY}&{quote(json.dumps(doc, indent=1), safe='{}:,[]')}"
    return client.request(method, URL(f"{path}?{raw}", encoded=True))


def test_json_in_the_query_string_works_like_a_body(make_sandbox):
    via_query, via_body = make_sandbox(), make_sandbox()
    assert curl_get(via_query, "/order", ORDER).body == via_body.post("/order", params=KEY, json=ORDER).body
    assert curl_get(via_query, "/order", GIFT).json()["receipt_data"]["lines"][0].startswith("Successfully added")
    reference = order(via_query, "R-q").json()["reference_number"]
    assert curl_get(via_query, "/order", {"receipt": reference}, method="DELETE").json() == {"voided": True}


def test_json_with_ampersands_survives_the_query_string(sandbox):
    doc = {**ORDER, "receipt_number": "A&B=1", "cashier": {"id": "x", "name": "Tom & Jerry"}}
    raw = f"{quote(json.dumps(doc), safe='')}&api_key={creds.SPOONITY_API_KEY}"
    assert sandbox.get(URL(f"/order?{raw}", encoded=True)).json()["success"] is True
    assert order(sandbox, "A&B=1").json()["success"] is False  # the same receipt: a duplicate


@pytest.mark.parametrize("body,fragment", [
    (None, "JSON is missing"),
    ({**ORDER, "receipt_number": None}, "receipt_number"),
    ({**ORDER, "subtotal": "ten"}, "subtotal"),
    ({"till": 1, "amount": 5}, "card_number"),
])
def test_requests_missing_what_they_need_are_400s(sandbox, body, fragment):
    reply = sandbox.post("/order", params=KEY, json=body) if body is not None else sandbox.post("/order", params=KEY)
    assert reply.status == 400 and fragment in reply.json()["error"]["errors"][0]
