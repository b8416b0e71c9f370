"""A sandbox with credentials of its own, and one with answers changed on purpose."""

from __future__ import annotations

import pytest

from tillroll.sandbox import FakeClock, PlantedChange, make_app
from tillroll.sandbox import credentials as creds
from tillroll.sandbox.planted import apply

from .conftest import T0, SandboxClient

ROTATED = {"SECURITY_ID": "ROTATED-SEC-1", "PASSWORD": "rotated-pw-2", "SPOTON_API_KEY": "rotated-spoton-3",
           "SPOONITY_API_KEY": "rotated-spoonity-4"}
SPOT = {"AccountKey": creds.ACCOUNT_KEY, "UserAgent": "pytest"}


@pytest.fixture
def sandbox_with():
    clients: list[SandboxClient] = []

    def factory(**options) -> SandboxClient:
        clients.append(SandboxClient(make_app(clock=FakeClock(T0), **options)))
        return clients[-1]

    yield factory
    for client in clients:
        client.close()


def login(client, security_id: str, password: str) -> dict:
    token = client.post("/q", json={**SPOT, "RequestType": "GetToken", "SecurityID": security_id}).json()
    if token["Failed"]:
        return token
    session = token["ReturnObject"]["SessionID"]
    return client.post("/q", json={**SPOT, "RequestType": "Login", "SessionID": session, "Parameters": {
        "UserName": creds.USERNAME, "Password": password}}).json()


def test_a_sandbox_with_rotated_credentials_takes_only_those(sandbox_with):
    client = sandbox_with(credentials=ROTATED)
    assert login(client, ROTATED["SECURITY_ID"], ROTATED["PASSWORD"])["Failed"] is False
    assert login(client, creds.SECURITY_ID, ROTATED["PASSWORD"])["Message"].startswith("SecurityID is missing")
    assert login(client, ROTATED["SECURITY_ID"], creds.PASSWORD)["Message"] == "The user name or password is incorrect."
    window = {"updatedAtStart": "2024-04-29T00:00:00Z", "updatedAtEnd": "2024-04-30T00:00:00Z"}
    path = "/posexport/v1/locations/L1/cash-deposits"
    assert client.get(path, headers={"x-api-key": ROTATED["SPOTON_API_KEY"]}, params=window).status == 200
    assert client.get(path, headers={"x-api-key": creds.SPOTON_API_KEY}, params=window).status == 403
    order = {"card_number": creds.SPOONITY_CARD, "receipt_number": "R1", "subtotal": 7.5}
    assert client.post("/order", params={"api_key": ROTATED["SPOONITY_API_KEY"]}, json=order).status == 200
    assert client.post("/order", params={"api_key": creds.SPOONITY_API_KEY}, json=order).status == 401
    assert client.get("/__sandbox/credentials").json()["SECURITY_ID"] == ROTATED["SECURITY_ID"]


def test_only_the_documented_secrets_can_be_rotated():
    with pytest.raises(ValueError, match="ACCOUNT_KEY"):
        make_app(credentials={"ACCOUNT_KEY": "X"})


def test_planted_changes_touch_their_operation_and_nothing_else(sandbox_with):
    plain = sandbox_with()
    changed = sandbox_with(changes=[PlantedChange("GetCustomer", "rename", "ReturnObject.FirstName", to="GivenName"),
                                    PlantedChange("GetInvoices", "retype", "ReturnObject.InvoiceNumber"),
                                    PlantedChange("GetStoreList", "fail", to="Stores are offline")])
    answers = {}
    for name, client in (("plain", plain), ("changed", changed)):
        session = login(client, creds.SECURITY_ID, creds.PASSWORD)["ReturnObject"]["SessionID"]
        call = {**SPOT, "SessionID": session}
        answers[name] = {op: client.post("/q", json={**call, "RequestType": op}).json()
                         for op in ("GetCustomer", "GetInvoices", "GetStoreList")}
        answers[name]["login"] = login(client, creds.SECURITY_ID, creds.PASSWORD)
    plain, changed = answers["plain"], answers["changed"]
    customer = changed["GetCustomer"]["ReturnObject"]
    assert "FirstName" not in customer and customer["GivenName"] == plain["GetCustomer"]["ReturnObject"]["FirstName"]
    assert [i["InvoiceNumber"] for i in changed["GetInvoices"]["ReturnObject"]] == \
        [int(i["InvoiceNumber"]) for i in plain["GetInvoices"]["ReturnObject"]]
    assert changed["GetStoreList"]["Failed"] is True and changed["GetStoreList"]["Message"] == "Stores are offline"
    assert changed["GetStoreList"]["ReturnObject"] == plain["GetStoreList"]["ReturnObject"]  # a 200 that failed
    assert changed["login"]["ReturnObject"]["FirstName"] == plain["login"]["ReturnObject"]["FirstName"]


def test_a_planted_change_needs_what_it_changes():
    with pytest.raises(ValueError, match="new name"):
        PlantedChange("GetCustomer", "rename", "ReturnObject.FirstName")
    with pytest.raises(ValueError, match="unknown planted change"):
        PlantedChange("GetCustomer", "explode")
    assert apply(PlantedChange("x", "retype", "a.b"), {"a": [{"b": True}, {"b": "7"}]}) == {"a": [{"b": "true"},
                                                                                                 {"b": 7}]}
