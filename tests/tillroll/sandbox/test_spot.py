"""SPOT in the sandbox: the documented error table, sessions, and the three ways to pass parameters."""

from __future__ import annotations

import base64
import json

import pytest

from tests.samples import sample_json
from tillroll.sandbox import credentials as creds

ENVIRONMENT = sample_json("spot/environment.json")
DOC_BODY = sample_json("spot/body-decoded.json")
INVOICE = "22222222-3333-4444-8555-666666666666"  # unknown to the account: External Order Data creates it
LOCKER = "11111111-2222-4333-8444-555555555555"


def spot(client, request_type: str, endpoint: str = "q", **fields):
    doc = {"RequestType": request_type, "AccountKey": creds.ACCOUNT_KEY, "UserAgent": "pytest", **fields}
    return client.post(f"/{endpoint}", json=doc)


def token(client) -> str:
    reply = spot(client, "GetToken", SecurityID=creds.SECURITY_ID)
    assert reply.status == 200 and reply.json()["Failed"] is False
    return reply.json()["ReturnObject"]["SessionID"]


def login(client) -> str:
    reply = spot(client, "Login", SessionID=token(client),
                 Parameters={"UserName": creds.USERNAME, "Password": creds.PASSWORD})
    assert reply.json()["Failed"] is False
    return reply.json()["ReturnObject"]["SessionID"]


def test_the_sandbox_uses_the_documented_example_environment():
    assert (creds.ACCOUNT_KEY, creds.SECURITY_ID, creds.USERNAME, creds.PASSWORD, creds.PUBLISHABLE_ID) == (
        ENVIRONMENT["AccountKey"], ENVIRONMENT["SecurityID"], ENVIRONMENT["UserName"], ENVIRONMENT["Password"],
        ENVIRONMENT["PublishableID"])


TRIGGERS = {
    "Missing ID": lambda c: c.get("/g", params={"RequestType": "GetStoreList"}),
    "Content-Type is invalid": lambda c: c.post("/q", data=b'{"RequestType": "GetToken"}',
                                                headers={"Content-Type": "text/plain"}),
    "Body is missing": lambda c: c.post("/q", data=b"", headers={"Content-Type": "application/json"}),
    "Unable to load account.": lambda c: c.post("/q", json={"RequestType": "GetToken", "UserAgent": "pytest",
                                                            "AccountKey": creds.BROKEN_ACCOUNT_KEY}),
    "Invalid http method.": lambda c: c.request("PUT", "/q", json={}),
}


@pytest.mark.parametrize("row", [r for r in sample_json("spot/errors.json") if "VERSION" not in r["message"]],
                         ids=lambda r: r["message"])
def test_the_documented_error_table(sandbox, row):
    reply = TRIGGERS[row["message"]](sandbox)
    assert reply.status == row["http"]
    body = reply.json()
    assert body["Failed"] is row["failed"] and body["Message"] == row["message"]
    assert set(body) == {"Failed", "Message", "MessageDetails", "ReturnObject"}
    # "MessageDetails ... will only populate if there is a server side error."
    assert (body["MessageDetails"] is not None) == (row["http"] >= 500)


def test_a_post_without_any_content_type_is_refused(sandbox):
    reply = sandbox.post("/q", data=b'{"RequestType": "GetToken"}', skip_auto_headers=["Content-Type"])
    assert reply.status == 400 and reply.json()["Message"] == "Content-Type is invalid"


def test_text_json_is_an_accepted_content_type(sandbox):
    doc = {"RequestType": "GetToken", "AccountKey": creds.ACCOUNT_KEY, "UserAgent": "pytest",
           "SecurityID": creds.SECURITY_ID}
    reply = sandbox.post("/f", data=json.dumps(doc).encode(), headers={"Content-Type": "text/json; charset=utf-8"})
    assert reply.status == 200 and reply.json()["Failed"] is False


def test_get_token_needs_the_security_id_and_returns_a_new_session_each_time(sandbox):
    first, second = token(sandbox), token(sandbox)
    assert first != second
    wrong = spot(sandbox, "GetToken", SecurityID="00000000-0000-0000-0000-000000000000")
    assert wrong.status == 200 and wrong.json()["Failed"] is True and "SecurityID" in wrong.json()["Message"]


def test_login_replaces_the_session_and_unlocks_customer_functions(sandbox):
    anonymous = token(sandbox)
    refused = spot(sandbox, "GetCustomer", SessionID=anonymous)
    assert refused.status == 401 and refused.json()["Failed"] is True and "Login" in refused.json()["Message"]

    reply = spot(sandbox, "Login", SessionID=anonymous,
                 Parameters={"UserName": creds.USERNAME.upper(), "Password": creds.PASSWORD})
    logged_in = reply.json()["ReturnObject"]["SessionID"]
    assert logged_in != anonymous

    customer = spot(sandbox, "GetCustomer", SessionID=logged_in).json()
    assert customer["Failed"] is False and customer["ReturnObject"]["EmailAddress"] == creds.USERNAME
    invoices = spot(sandbox, "GetInvoices", SessionID=logged_in).json()["ReturnObject"]
    assert len(invoices) == 4 and {inv["CustomerID"] for inv in invoices} == {customer["ReturnObject"]["CustomerID"]}
    # the old SessionID is gone: a plain function answers a failure inside a 200
    stale = spot(sandbox, "GetStoreList", SessionID=anonymous)
    assert stale.status == 200 and stale.json()["Failed"] is True


def test_a_wrong_password_is_a_failure_inside_a_200(sandbox):
    reply = spot(sandbox, "Login", SessionID=token(sandbox),
                 Parameters={"UserName": creds.USERNAME, "Password": "nope"})
    assert reply.status == 200 and reply.json()["Failed"] is True and reply.json()["ReturnObject"] is None


def test_sessions_expire_after_20_idle_minutes(sandbox, clock):
    session = token(sandbox)
    clock.advance(19 * 60)
    assert spot(sandbox, "GetStoreList", SessionID=session).json()["Failed"] is False
    clock.advance(19 * 60)  # 38 minutes after GetToken, but 19 after the last request
    assert spot(sandbox, "GetStoreList", SessionID=session).json()["Failed"] is False
    clock.advance(21 * 60)
    expired = spot(sandbox, "GetStoreList", SessionID=session)
    assert expired.status == 200 and expired.json()["Failed"] is True
    assert "expired" in expired.json()["Message"] and "20 minutes" in expired.json()["Message"]


def test_an_expired_customer_session_answers_401(sandbox, clock):
    session = login(sandbox)
    clock.advance(19 * 60)
    assert spot(sandbox, "GetCustomer", SessionID=session).status == 200
    clock.advance(21 * 60)
    reply = spot(sandbox, "GetCustomer", SessionID=session)
    assert reply.status == 401 and reply.json()["Failed"] is True and "expired" in reply.json()["Message"]


def test_an_unknown_session_is_a_failure_inside_a_200(sandbox):
    reply = spot(sandbox, "GetStoreList", SessionID="71432c48-d7ed-4d5c-98e6-4f31f74c4588")
    assert reply.status == 200 and reply.json()["Failed"] is True and "GetToken" in reply.json()["Message"]


def passing(how: str, params: dict) -> dict:
    """The request members that pass *params* the way *how* says."""
    if how == "Body":
        return {"Body": base64.b64encode(json.dumps(params).encode()).decode()}
    return {how: params}


@pytest.mark.parametrize("request_type,endpoint,params", [
    ("LockerEvent", "r", {"LockerID": LOCKER, "InvoiceIDList": INVOICE, "EventType": "D", "Comments": "bag 2"}),
    ("Login", "q", {"UserName": creds.USERNAME, "Password": creds.PASSWORD}),
])
def test_parameters_params_and_base64_body_are_equivalent(make_sandbox, request_type, endpoint, params):
    replies = []
    for how in ("Parameters", "Params", "Body"):
        client = make_sandbox()  # a fresh account each time, so the replies can be compared byte for byte
        replies.append(spot(client, request_type, endpoint, SessionID=token(client), **passing(how, params)))
    assert replies[0].status == 200 and replies[0].json()["Failed"] is False
    assert replies[0].body == replies[1].body == replies[2].body


def test_the_documented_base64_body_works_as_printed(sandbox):
    reply = spot(sandbox, "LockerEvent", "r", SessionID=token(sandbox), Body=ENVIRONMENT["Body"])
    result = reply.json()["ReturnObject"]
    assert reply.status == 200 and reply.json()["Failed"] is False
    assert result["LockerID"] == DOC_BODY["LockerID"] and result["EventType"] == "P"
    assert [inv["InvoiceID"] for inv in result["Invoices"]] == [DOC_BODY["InvoiceIDList"]]


def test_a_locker_event_changes_the_invoice_the_customer_sees(sandbox):
    session = login(sandbox)
    ready = next(inv for inv in spot(sandbox, "GetInvoices", SessionID=session).json()["ReturnObject"]
                 if inv["Status"] == "Ready")
    reply = spot(sandbox, "LockerEvent", "r", SessionID=token(sandbox),
                 Params={"LockerID": LOCKER, "InvoiceIDList": ready["InvoiceID"], "EventType": "P"})
    assert reply.json()["ReturnObject"]["Invoices"][0]["Created"] is False
    after = {inv["InvoiceID"]: inv for inv in spot(sandbox, "GetInvoices", SessionID=session).json()["ReturnObject"]}
    assert after[ready["InvoiceID"]]["Status"] == "Picked Up" and after[ready["InvoiceID"]]["LockerID"] == LOCKER


@pytest.mark.parametrize("params,problem", [
    ({"InvoiceIDList": INVOICE, "EventType": "P"}, "LockerID"),
    ({"LockerID": LOCKER, "InvoiceIDList": "12345", "EventType": "P"}, "InvoiceIDList"),
    ({"LockerID": LOCKER, "InvoiceIDList": INVOICE, "EventType": "X"}, "EventType"),
])
def test_bad_locker_parameters_are_400s_naming_the_parameter(sandbox, params, problem):
    reply = spot(sandbox, "LockerEvent", "r", SessionID=token(sandbox), Parameters=params)
    assert reply.status == 400 and reply.json()["Failed"] is True and problem in reply.json()["Message"]


def test_a_body_that_is_not_base64_json_is_a_400(sandbox):
    reply = spot(sandbox, "LockerEvent", "r", SessionID=token(sandbox), Body="not base64!")
    assert reply.status == 400 and "Base64" in reply.json()["Message"]


def test_store_list_anonymously_by_get_or_with_a_session_by_post(sandbox):
    anonymous = sandbox.get("/g", params={"RequestType": "GetStoreList", "ID": creds.PUBLISHABLE_ID})
    with_session = spot(sandbox, "GetStoreList", SessionID=token(sandbox))
    assert anonymous.status == 200 and anonymous.json()["ReturnObject"] == with_session.json()["ReturnObject"]
    assert len(anonymous.json()["ReturnObject"]) == 3
    wrong_id = sandbox.get("/g", params={"RequestType": "GetStoreList", "ID": "not-the-id"})
    assert wrong_id.status == 500 and wrong_id.json()["Message"] == "Unable to load account."


def test_a_request_type_the_endpoint_does_not_serve_is_a_400(sandbox):
    reply = spot(sandbox, "GetCustomer", "r", SessionID=token(sandbox))
    assert reply.status == 400 and "External Order Data" in reply.json()["Message"]
    assert sandbox.get("/g", params={"RequestType": "Login", "ID": creds.PUBLISHABLE_ID}).status == 400


def test_user_agent_is_required(sandbox):
    reply = sandbox.post("/q", json={"RequestType": "GetToken", "AccountKey": creds.ACCOUNT_KEY,
                                     "SecurityID": creds.SECURITY_ID})
    assert reply.status == 400 and "UserAgent" in reply.json()["Message"]
