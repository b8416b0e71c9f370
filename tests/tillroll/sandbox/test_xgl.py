"""Xenial XGL in the sandbox: tenant headers, balances that move, and failures inside a 200."""

from __future__ import annotations

import copy

import pytest

from tests.samples import sample, sample_json
from tillroll.sandbox import credentials as creds

TENANT = {"x-company-id": creds.XGL_COMPANY_ID, "x-site-ids": creds.XGL_SITE_IDS}
JOHN = {"phone_number": "1111111111"}  # John Doe of the identifyCustomers sample
OK = {"success", "authorizedSuccess"}


def xgl(client, body: dict, *, headers=TENANT, envelope: bool = True):
    doc = {"outHTTP": {"body": body, "headers": {}, "method": "POST", "path": "/api/xgl"}} if envelope else body
    return client.post("/api/xgl", json=doc, headers=headers)


def points(client, who: dict = JOHN) -> int:
    reply = xgl(client, {"action_type": "identifyCustomers", **who}).json()
    return reply["customers"][0]["balance"][0]["balance"]


def order_body(action: str, order_id: str, *, subtotal: float = 12.5, offers=(), who=None) -> dict:
    customer = who or {"id": "123456", "phone": "1111111111"}
    return {"action_type": action, "transaction_token": f"t-{order_id}",
            "order": {"_id": order_id, "subtotal": subtotal, "total": subtotal,
                      "items": [{"name": "Medium Coffee", "product_id": "101", "price": 4.75,
                                 "order_item_id": "item-1"}],
                      "customer": {"loyalty_info": {"customer": customer,
                                                    "offers": [{"id": o, "status": "validated"} for o in offers]}}}}


def test_identify_answers_the_documented_shape(sandbox):
    documented = sample_json("xgl/01-identifyCustomers-response.json")
    reply = xgl(sandbox, {"action_type": "identifyCustomers", **JOHN})
    body = reply.json()
    assert reply.status == 200 and set(body) == set(documented)
    assert set(body["customers"][0]) == set(documented["customers"][0])
    assert body["customers"][0]["information"] == documented["customers"][0]["information"]
    assert body["merchant_data"]["response_name"] == "authorizedSuccess"
    assert body["server_date_time"] == "2024-05-01T12:00:00.000Z"


def test_redeeming_a_reward_lowers_the_balance_identify_reports(sandbox):
    before = points(sandbox)
    reply = xgl(sandbox, order_body("redeemReward", "o-1", offers=["1234", "99"])).json()
    redeemed = reply["rewards_data"]["redeemed_rewards"]
    assert reply["merchant_data"]["response_name"] == "success"
    assert [r["name"] for r in redeemed] == ["Medium Drink", "Free Product"]
    assert redeemed[1]["rewarded_items"][0]["item_id"] == "item-1"
    assert points(sandbox) == before - 200 - 475


def test_simulating_changes_nothing(sandbox):
    before = points(sandbox)
    reply = xgl(sandbox, order_body("simulateAccrual", "o-1", offers=["99"])).json()
    assert reply["rewards_data"]["validated_rewards"][0]["amount"] == "4.75"
    assert points(sandbox) == before


def test_submitting_adds_points_and_voiding_takes_them_back(sandbox):
    before = points(sandbox)
    submitted = xgl(sandbox, order_body("submitOrder", "o-7", subtotal=12.5)).json()
    assert submitted["receipt"]["balance"][0]["balance"] == before + 125 == points(sandbox)
    voided = xgl(sandbox, order_body("voidOrder", "o-7")).json()
    assert voided["merchant_data"]["response_name"] == "success"
    assert voided["receipt"]["balance"][0]["balance"] == before == points(sandbox)
    again = xgl(sandbox, order_body("voidOrder", "o-7")).json()
    assert again["merchant_data"]["response_name"] == "orderAlreadyVoided"


def test_voiding_an_order_returns_the_rewards_redeemed_for_it(sandbox):
    before = points(sandbox)
    xgl(sandbox, order_body("redeemReward", "o-8", offers=["99"]))
    xgl(sandbox, order_body("submitOrder", "o-8", subtotal=10))
    assert points(sandbox) == before - 475 + 100
    xgl(sandbox, order_body("voidOrder", "o-8"))
    assert points(sandbox) == before


def test_voiding_an_order_never_submitted_is_a_failure_inside_a_200(sandbox):
    reply = xgl(sandbox, order_body("voidOrder", "never-submitted"))
    merchant = reply.json()["merchant_data"]
    assert reply.status == 200
    assert merchant["response_name"] == "orderNotFound" and merchant["response_code"] == 404
    assert "never-submitted" in merchant["response_message"]


def test_a_reward_the_customer_cannot_afford_is_declined(sandbox):
    xgl(sandbox, {"action_type": "addCustomer", "customer_details": {"phone_number": "5550001", "first_name": "Ann"}})
    reply = xgl(sandbox, order_body("redeemReward", "o-2", offers=["1234"], who={"phone": "5550001"})).json()
    assert reply["merchant_data"]["response_name"] == "declined" and reply["merchant_data"]["response_code"] == 402
    assert reply["rewards_data"]["redeemed_rewards"] == [] and points(sandbox, {"phone_number": "5550001"}) == 0


def test_redeem_balance_then_reverse_it(sandbox):
    before = points(sandbox)
    redeemed = xgl(sandbox, {"action_type": "redeemBalance", "customer": JOHN,
                             "redeem_balance": [{"balance_name": "Points", "redeem_balance": 1234}]}).json()
    converted = redeemed["converted_rewards"][0]
    assert converted["redeemed_balance"] == 1234 and converted["amount"] == 12.34
    assert redeemed["balance"][0]["balance"] == before - 1234 == points(sandbox)
    reversed_ = xgl(sandbox, {"action_type": "reverseBalance", "customer": JOHN,
                              "reverse_rewards": [{"transaction_id": converted["transaction_id"]}]}).json()
    assert reversed_["reversed_balance"][0]["total_balance"] == before == points(sandbox)
    twice = xgl(sandbox, {"action_type": "reverseBalance",
                          "reverse_rewards": [{"transaction_id": converted["transaction_id"]}]}).json()
    assert twice["merchant_data"]["response_code"] == 404 and twice["declined_reverse"]


def test_redeeming_more_than_the_balance_is_declined(sandbox):
    reply = xgl(sandbox, {"action_type": "redeemBalance", "customer": JOHN,
                          "redeem_balance": [{"balance_name": "Points", "redeem_balance": 10 ** 9}]}).json()
    assert reply["declined_balance"][0]["error"]["error_code"] == "insufficient balance"
    assert reply["merchant_data"]["response_name"] == "declined"


def test_add_then_update_a_customer_with_the_docs_samples(sandbox):
    added = xgl(sandbox, sample_json("xgl/06-addCustomer-request.json"), envelope=False).json()
    assert added["customer"]["information"]["phone"] == "12345678890"
    assert added["customer"]["messages"][0]["text"] == "Thank you for joining our loyalty program."
    duplicate = xgl(sandbox, sample_json("xgl/06-addCustomer-request.json"), envelope=False).json()
    assert duplicate["merchant_data"]["response_name"] == "customerAlreadyExists"
    update = sample_json("xgl/07-updateCustomer-request.json")
    update["updated_customer_details"]["first_name"] = "Johnny"
    updated = xgl(sandbox, update, envelope=False).json()
    assert updated["customer"]["information"]["first_name"] == "Johnny"
    assert updated["customer"]["information"]["id"] == added["customer"]["information"]["id"]


@pytest.mark.parametrize("name", ["01-identifyCustomers", "02-simulateAccrual", "03-redeemReward", "04-submitOrder"])
def test_the_docs_order_flow_samples_succeed_as_printed(sandbox, name):
    reply = sandbox.post("/api/xgl", data=sample(f"xgl/{name}-request.json"),
                         headers={**TENANT, "Content-Type": "application/json"})
    assert reply.status == 200 and reply.json()["merchant_data"]["response_name"] in OK


def test_an_unknown_customer_is_a_failure_inside_a_200(sandbox):
    reply = xgl(sandbox, {"action_type": "identifyCustomers", "phone_number": "0000000"})
    assert reply.status == 200 and reply.json()["customers"] == []
    assert reply.json()["merchant_data"]["response_name"] == "customerNotFound"


def test_the_bare_body_and_the_envelope_are_the_same_request(make_sandbox):
    body = {"action_type": "identifyCustomers", **JOHN}
    assert xgl(make_sandbox(), body).body == xgl(make_sandbox(), body, envelope=False).body


@pytest.mark.parametrize("headers,status,fragment", [
    ({}, 400, "required"),
    ({"x-company-id": creds.XGL_COMPANY_ID}, 400, "required"),
    ({**TENANT, "x-company-id": "xxxxxxxxxxxxxxxxxxxxxxx"}, 403, "x-company-id"),
    ({**TENANT, "x-site-ids": f"{creds.XGL_SITE_IDS},nope"}, 403, "nope"),
])
def test_the_tenant_headers_are_required(sandbox, headers, status, fragment):
    reply = xgl(sandbox, {"action_type": "identifyCustomers", **JOHN}, headers=headers)
    assert reply.status == status and fragment in reply.json()["message"]


def test_tenant_headers_may_come_inside_the_envelope(sandbox):
    doc = copy.deepcopy(sample_json("xgl/01-identifyCustomers-request.json"))
    doc["outHTTP"]["headers"].update(TENANT)
    reply = sandbox.post("/api/xgl", json=doc)
    assert reply.status == 200 and reply.json()["customers"]


@pytest.mark.parametrize("data,fragment", [
    (sample("xgl/05-voidOrder-request.txt"), "JSON"),  # the docs' sample has raw line breaks in strings
    (b'{"outHTTP": {"body": {"action_type": "launchRocket"}}}', "launchRocket"),
    (b'{"outHTTP": {"body": {"customer_id": "1"}}}', "action_type"),
    (b'{"outHTTP": {"body": {"action_type": "submitOrder"}}}', "order"),
])
def test_requests_that_cannot_be_acted_on_are_400s(sandbox, data, fragment):
    reply = sandbox.post("/api/xgl", data=data, headers={**TENANT, "Content-Type": "application/json"})
    assert reply.status == 400 and fragment in reply.json()["message"]
