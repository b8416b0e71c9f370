"""The whole sandbox: the admin surface, reset, and determinism across the four vendors."""

from __future__ import annotations

import pytest

from tillroll.sandbox import Clock
from tillroll.sandbox import credentials as creds

JSON = {"Content-Type": "application/json"}


def a_pos_day(client) -> list[tuple[int, bytes]]:
    """One request sequence touching every vendor; returns each (status, body)."""
    spot = {"AccountKey": creds.ACCOUNT_KEY, "UserAgent": "pytest"}
    replies = []

    def keep(reply):
        replies.append((reply.status, reply.body))
        return reply

    session = keep(client.post("/q", json={**spot, "RequestType": "GetToken", "SecurityID": creds.SECURITY_ID})
                   ).json()["ReturnObject"]["SessionID"]
    session = keep(client.post("/q", json={**spot, "RequestType": "Login", "SessionID": session, "Parameters": {
        "UserName": creds.USERNAME, "Password": creds.PASSWORD}})).json()["ReturnObject"]["SessionID"]
    keep(client.post("/q", json={**spot, "RequestType": "GetInvoices", "SessionID": session}))
    keep(client.get("/posexport/v1/locations/L1/cash-deposits", headers={"x-api-key": creds.SPOTON_API_KEY},
                    params={"updatedAtStart": "2024-04-29T00:00:00Z", "updatedAtEnd": "2024-04-30T00:00:00Z"}))
    tenant = {"x-company-id": creds.XGL_COMPANY_ID, "x-site-ids": creds.XGL_SITE_IDS}
    keep(client.post("/api/xgl", headers=tenant, json={"action_type": "redeemBalance", "customer": {
        "phone_number": "1111111111"}, "redeem_balance": [{"balance_name": "Points", "redeem_balance": 500}]}))
    keep(client.post("/api/xgl", headers=tenant, json={"action_type": "identifyCustomers", "code": "4545"}))
    key = {"api_key": creds.SPOONITY_API_KEY}
    keep(client.post("/order", params=key, json={"card_number": creds.SPOONITY_CARD, "receipt_number": "R1",
                                                 "subtotal": 7.5}))
    keep(client.post("/order/payments/loyalty", params=key, json={"card_number": creds.SPOONITY_CARD, "amount": 2}))
    return replies


def test_two_fresh_sandboxes_with_the_same_seed_answer_identically(make_sandbox):
    first, second = a_pos_day(make_sandbox(seed=3)), a_pos_day(make_sandbox(seed=3))
    assert all(status == 200 for status, _ in first)
    assert first == second


def test_another_seed_gives_other_ids_and_data(make_sandbox):
    first, other = a_pos_day(make_sandbox(seed=3)), a_pos_day(make_sandbox(seed=4))
    assert first[0] != other[0]  # SPOT SessionID
    assert first[3] != other[3]  # SpotOn records
    assert first[-2] != other[-2]  # Spoonity reference_number


def test_reset_starts_over_from_the_same_seed(sandbox):
    before = a_pos_day(sandbox)
    assert a_pos_day(sandbox) != before  # state moved on: new sessions, balances, a duplicate receipt
    reply = sandbox.post("/__sandbox/reset")
    assert reply.status == 200 and reply.json()["reset"] is True
    assert a_pos_day(sandbox) == before


def test_the_clock_can_be_read_and_moved(sandbox, clock):
    assert sandbox.get("/__sandbox/clock").json() == {"now": "2024-05-01T12:00:00.000Z", "movable": True}
    assert sandbox.post("/__sandbox/clock", json={"advance": 90}).json()["now"] == "2024-05-01T12:01:30.000Z"
    assert sandbox.post("/__sandbox/clock", json={"set": "2024-06-01T00:00:00Z"}).json()["now"] == \
        "2024-06-01T00:00:00.000Z"
    assert clock.now().isoformat() == "2024-06-01T00:00:00+00:00"


@pytest.mark.parametrize("body", [{}, {"advance": "soon"}, {"set": "tomorrow"}, {"advance": True}])
def test_a_bad_clock_move_is_a_400_saying_what_to_send(sandbox, body):
    reply = sandbox.post("/__sandbox/clock", json=body)
    assert reply.status == 400 and "advance" in reply.json()["message"]


def test_the_real_clock_cannot_be_moved(make_sandbox):
    client = make_sandbox(clock=Clock())
    assert client.get("/__sandbox/clock").json()["movable"] is False
    reply = client.post("/__sandbox/clock", json={"advance": 60})
    assert reply.status == 409 and "--fake-clock" in reply.json()["message"]


def test_the_credentials_are_published(sandbox):
    published = sandbox.get("/__sandbox/credentials").json()
    assert published["ACCOUNT_KEY"] == creds.ACCOUNT_KEY and published["SPOTON_API_KEY"] == creds.SPOTON_API_KEY
    assert set(published) >= {"SECURITY_ID", "USERNAME", "PASSWORD", "SPOONITY_API_KEY", "XGL_COMPANY_ID",
                              "XGL_SITE_IDS"}


def test_tillroll_sees_the_hidden_failures_as_failures(sandbox):
    """The sandbox exists to show failures inside a 200; tillroll's vendor profiles must call them failed."""
    from tillroll.capture.vendors import spoonity
    from tillroll.capture.vendors import spot
    from tillroll.capture.vendors import xgl

    tenant = {"x-company-id": creds.XGL_COMPANY_ID, "x-site-ids": creds.XGL_SITE_IDS}
    cases = [
        (spot, sandbox.post("/q", json={"RequestType": "GetStoreList", "AccountKey": creds.ACCOUNT_KEY,
                                        "UserAgent": "pytest", "SessionID": "expired-or-unknown"})),
        (xgl, sandbox.post("/api/xgl", headers=tenant, json={"action_type": "voidOrder", "order": {"_id": "x"}})),
        (spoonity, sandbox.request("DELETE", "/order", params={"api_key": creds.SPOONITY_API_KEY},
                                   json={"receipt": "1"})),
    ]
    for vendor, reply in cases:
        assert reply.status == 200
        assert vendor.PROFILE.outcome(reply.status, reply.json(), None)[0] == "failed", vendor.__name__
