"""The XGL (Xenial loyalty gateway) checks: each finds its one planted violation, on exactly
that exchange, in an otherwise compliant day, and stays quiet on the compliant day.

The day follows the documented samples (xenial-loyalty-gateway-samples.md): enveloped
(``outHTTP``) calls to the sample's gateway path, the tenant in the envelope's headers,
identify → simulate → redeem → submit (and its retry) → void, a balance redemption and
its reversal, and a bare addCustomer with the tenant in the HTTP headers.
"""

from __future__ import annotations

import copy

import pytest

from tests.analysis.har_day import at, call, exchange_at, import_day
from tillroll.analysis import checks
from tillroll.analysis.views import connect

URL = "https://gft2x6jqx5.execute-api.us-east-1.amazonaws.com/prod/loyalty-services/CustomLoyaltyAdapter"
COMPANY, SITE = "62ea9f6ed4770e287c3ab373", "6463a0683d01ab9b50c90d73"
TENANT = {"Accept": "application/json", "Content-Type": "application/json", "x-company-id": COMPANY, "x-site-ids": SITE}
OK = {"host_txn_id": "164403235", "merchant_data": {"id": "216", "name": "Provider", "response_code": 200,
                                                    "response_message": "Authorized", "response_name": "authorizedSuccess"}}
XGL_RULES = sorted(c.rule for c in checks.load() if c.rule.startswith("xgl-"))


def common(action: str, token: str = "3257374927") -> dict:
    return {"action_type": action, "application_version": "3.8.43-4", "clerk_id": "10512684",
            "date_time": "2023-06-19T16:47:15.996Z", "receipt_datetime": "2023-06-19T16:47:15.996Z",
            "local_date": "20230619", "local_time": "044715", "terminal_id": "5a5901f0fcacfe00019a7fda",
            "terminal_txn_id": "100073", "check_id": "16871931705220000073", "transaction_token": token,
            "integrator_name": "xpos", "integrator_type": "pos"}


def order(order_id: str, *, paid: bool, offer_status: str | None = None, submitted: dict | None = None) -> dict:
    loyalty = {"customer": {"id": "99999999", "identification_method": "phone_number"},
               "identify_customer": {"transaction_id": "0000"},
               "offers": [{"id": "99", "name": "Free Product", "status": offer_status}] if offer_status else []}
    if submitted:
        loyalty["submit_order"] = submitted
    return {"_id": order_id, "company_id": COMPANY, "site_info": {"id": SITE, "company": {"id": COMPANY}},
            "payment_status": "paid" if paid else "open", "order_status": {"status": "closed" if paid else "pending"},
            "customer": {"loyalty_info": loyalty}, "total": 11.17}


def enveloped(t, body: dict, response: dict, *, headers: dict | None = None, method: str = "POST"):
    doc = {"outHTTP": {"body": body, "headers": TENANT if headers is None else headers,
                       "host": "gft2x6jqx5.execute-api.us-east-1.amazonaws.com", "method": method,
                       "path": "/prod/loyalty-services/CustomLoyaltyAdapter"}}
    return call(t, "POST", URL, json_body=doc, response=response)


def compliant() -> dict[str, tuple]:
    """Name -> (minute, body, response, extra call arguments) of the compliant day."""
    o1 = "7bd53c69-68ba-4449-bf09-4efb5d665339"
    submitted = {"processed_at": "2026-11-02T09:03:00.000Z", "transaction_id": "0c9a2fcd-9fb8-44b4-90e0-ae5155ea694b"}
    return {
        "identify": (0, common("identifyCustomers"),
                     {**OK, "customers": [{"information": {"id": "123456"}, "is_identified": True}]}),
        "simulate": (1, {**common("simulateAccrual"), "order": order(o1, paid=False, offer_status="validated")},
                     {**OK, "rewards_data": {"validated_rewards": [{"reward_id": "12"}], "declined_rewards": []}}),
        "redeem": (2, {**common("redeemReward"), "is_retry": False, "order": order(o1, paid=False, offer_status="validated")},
                   {**OK, "rewards_data": {"declined_rewards": [],
                                           "redeemed_rewards": [{"reward_id": "12", "transaction_id": "9999999999"}]}}),
        "submit": (3, {**common("submitOrder"), "is_retry": False, "order": order(o1, paid=True, offer_status="redeemed")},
                   {**OK, "receipt": {"balance": [{"balance": 367}]}}),
        "submit-retry": (4, {**common("submitOrder"), "is_retry": True,
                             "order": order(o1, paid=True, offer_status="redeemed")},
                         {**OK, "receipt": {"balance": [{"balance": 367}]}}),
        "void": (5, {**common("voidOrder"), "is_retry": False,
                     "order": order(o1, paid=True, offer_status="redeemed", submitted=submitted)}, OK),
        # submitted (processed_at) before the recording started: nothing to find in the cassette
        "void-earlier-order": (6, {**common("voidOrder", "3257374928"), "is_retry": False,
                                   "order": order("5f1e0c2a-0000-4449-bf09-4efb5d665339", paid=True,
                                                  submitted={"processed_at": "2026-11-01T18:00:00.000Z",
                                                             "transaction_id": "aa9a2fcd-9fb8-44b4-90e0-ae5155ea694b"})},
                               OK),
        "redeem-balance": (7, {**common("redeemBalance", "1234567898"), "order": order(o1, paid=False)},
                           {**OK, "converted_rewards": [{"reward_id": "1000", "status": "redeemed", "transaction_id": "123456"}],
                            "declined_balance": []}),
        "reverse-balance": (8, {**common("reverseBalance", "1234567898"), "order": {},
                                "reverse_rewards": [{"transaction_id": "123456", "reverse_balance": 245}]},
                            {**OK, "declined_reverse": [], "reversed_balance": [{"transaction_id": "123456"}]}),
    }


def entries(day: dict[str, tuple]) -> list[dict]:
    out = []
    for minute, body, response, *extra in day.values():
        out.append(enveloped(at(minute), body, response, **(extra[0] if extra else {})))
    # a bare body, the tenant in the HTTP headers (Add Customer's sample has no envelope)
    bare = {k: v for k, v in common("addCustomer").items() if k != "transaction_token"}
    out.append(call(at(9), "POST", URL, json_body={**bare, "customer": {"first_name": "John"}},
                    headers=[("x-company-id", COMPANY), ("x-site-ids", SITE), ("Accept", "application/json")],
                    response={**OK, "customers": [{"is_identified": True}]}))
    return out


def xgl_findings(cassette) -> list:
    return [f for f in checks.run(connect([cassette])) if f.vendor == "xgl"]


def planted(tmp_path, rule: str, name: str, minute: float, body: dict, response: dict, **extra):
    """Import the compliant day with *name* replaced (or added) and return the findings of
    *rule* and the id of the planted exchange."""
    day = compliant()
    day[name] = (minute, body, response, extra)
    cassette = import_day(tmp_path / "c", entries(day))
    findings = xgl_findings(cassette)
    assert {f.rule for f in findings} == {rule}, [(f.rule, f.detail) for f in findings]
    return findings, exchange_at(cassette, at(minute))


@pytest.fixture(scope="module")
def compliant_day(tmp_path_factory):
    return import_day(tmp_path_factory.mktemp("xgl") / "day", entries(compliant()))


def test_the_compliant_day_is_recognised_and_decoded_as_xgl(compliant_day):
    con = connect([compliant_day])
    rows = con.sql("SELECT action, company_id, site_ids, is_retry FROM xgl ORDER BY started_at").fetchall()
    assert [r[0] for r in rows] == ["identifyCustomers", "simulateAccrual", "redeemReward", "submitOrder", "submitOrder",
                                    "voidOrder", "voidOrder", "redeemBalance", "reverseBalance", "addCustomer"]
    assert {(r[1], r[2]) for r in rows} == {(COMPANY, SITE)}  # from the envelope, and from the HTTP headers
    assert [r[3] for r in rows if r[0] == "submitOrder"] == [False, True]


def test_the_compliant_day_breaks_no_xgl_rule(compliant_day):
    assert XGL_RULES  # the checks exist
    assert xgl_findings(compliant_day) == []


def test_the_linking_ids_are_view_columns(compliant_day):
    con = connect([compliant_day])
    [(submit_tx, identify_tx)] = con.sql(
        "SELECT submit_transaction_id, identify_transaction_id FROM xgl WHERE action = 'voidOrder' "
        "ORDER BY started_at LIMIT 1").fetchall()
    assert (submit_tx, identify_tx) == ("0c9a2fcd-9fb8-44b4-90e0-ae5155ea694b", "0000")
    [(reversed_ids,)] = con.sql("SELECT reverse_transaction_ids FROM xgl WHERE action = 'reverseBalance'").fetchall()
    assert reversed_ids == ["123456"]


# -- one planted violation per rule -------------------------------------------------------------

def test_a_void_of_an_order_never_submitted_is_an_error(tmp_path):
    body = {**common("voidOrder", "3257374929"), "is_retry": False,
            "order": order("0e5a1111-68ba-4449-bf09-4efb5d665339", paid=True)}
    findings, planted_id = planted(tmp_path, "xgl-void-without-submit", "void-unsubmitted", 10, body, OK)
    [f] = findings
    assert (f.exchange_id, f.severity, f.operation) == (planted_id, "error", "voidOrder")
    assert "0e5a1111-68ba-4449-bf09-4efb5d665339" in f.detail


def test_a_void_after_a_refused_submit_is_still_unsubmitted(tmp_path):
    oid = "0e5a2222-68ba-4449-bf09-4efb5d665339"
    day = compliant()
    day["submit-refused"] = (10, {**common("submitOrder", "3257374930"), "is_retry": False, "order": order(oid, paid=True)},
                             {"merchant_data": {"response_name": "declined", "response_code": 402,
                                                "response_message": "Declined"}})
    day["void-refused"] = (11, {**common("voidOrder", "3257374930"), "is_retry": False, "order": order(oid, paid=True)}, OK)
    cassette = import_day(tmp_path / "c", entries(day))
    findings = [f for f in xgl_findings(cassette) if f.rule == "xgl-void-without-submit"]
    assert [f.exchange_id for f in findings] == [exchange_at(cassette, at(11))]


def test_a_request_without_action_type_is_an_error(tmp_path):
    body = {k: v for k, v in common("identifyCustomers").items() if k != "action_type"}
    findings, planted_id = planted(tmp_path, "xgl-action-type-required", "no-action", 10, body,
                                   {**OK, "customers": [{"is_identified": True}]})
    assert [(f.exchange_id, f.severity) for f in findings] == [(planted_id, "error")]


def test_a_request_without_tenant_headers_is_an_error(tmp_path):
    headers = {k: v for k, v in TENANT.items() if k != "x-site-ids"}
    findings, planted_id = planted(tmp_path, "xgl-company-and-site-headers", "no-site", 10, common("identifyCustomers"),
                                   {**OK, "customers": [{"is_identified": True}]}, headers=headers)
    [f] = findings
    assert (f.exchange_id, f.severity) == (planted_id, "error")
    assert "x-site-ids" in f.detail and "x-company-id" not in f.detail


def test_an_order_of_another_site_is_a_warning(tmp_path):
    o = order("0e5a3333-68ba-4449-bf09-4efb5d665339", paid=False)
    o["site_info"]["id"] = "7777a0683d01ab9b50c90d73"
    findings, planted_id = planted(tmp_path, "xgl-headers-match-order", "other-site", 10,
                                   {**common("simulateAccrual"), "order": o}, OK)
    [f] = findings
    assert (f.exchange_id, f.severity) == (planted_id, "warning")
    assert "7777a0683d01ab9b50c90d73" in f.detail


def test_an_envelope_that_is_not_a_post_is_a_warning(tmp_path):
    findings, planted_id = planted(tmp_path, "xgl-post-json", "get", 10, common("identifyCustomers"),
                                   {**OK, "customers": [{"is_identified": True}]}, method="GET")
    [f] = findings
    assert (f.exchange_id, f.severity) == (planted_id, "warning")
    assert "outHTTP method GET" in f.detail


def test_a_date_time_without_utc_milliseconds_is_a_warning(tmp_path):
    body = {**common("identifyCustomers"), "date_time": "2023-06-19 16:47:15"}
    findings, planted_id = planted(tmp_path, "xgl-date-time-iso-utc", "local-datetime", 10, body,
                                   {**OK, "customers": [{"is_identified": True}]})
    [f] = findings
    assert (f.exchange_id, f.severity) == (planted_id, "warning")
    assert "date_time 2023-06-19 16:47:15" in f.detail


def test_a_local_time_that_is_not_hhmmss_is_a_warning(tmp_path):
    body = {**common("identifyCustomers"), "local_time": "4:47:15"}
    findings, planted_id = planted(tmp_path, "xgl-local-date-time-format", "local-time", 10, body,
                                   {**OK, "customers": [{"is_identified": True}]})
    [f] = findings
    assert (f.exchange_id, f.severity, f.detail) == (planted_id, "warning", "identifyCustomers: local_time 4:47:15 is not HHMMSS")


def test_a_local_date_that_is_not_yyyymmdd_is_a_warning(tmp_path):
    body = {**common("identifyCustomers"), "local_date": "19062023"}
    findings, planted_id = planted(tmp_path, "xgl-local-date-time-format", "local-date", 10, body,
                                   {**OK, "customers": [{"is_identified": True}]})
    assert [(f.exchange_id, f.detail) for f in findings] == [(planted_id, "identifyCustomers: local_date 19062023 is not YYYYMMDD")]


def test_a_transaction_call_without_token_is_a_warning(tmp_path):
    body = {k: v for k, v in common("identifyCustomers").items() if k != "transaction_token"}
    findings, planted_id = planted(tmp_path, "xgl-transaction-token-present", "no-token", 10, body,
                                   {**OK, "customers": [{"is_identified": True}]})
    assert [(f.exchange_id, f.severity) for f in findings] == [(planted_id, "warning")]


def test_a_resend_that_does_not_say_is_retry_is_a_warning(tmp_path):
    day = compliant()
    _, body, response = day["submit"]
    findings, planted_id = planted(tmp_path, "xgl-is-retry-on-resend", "submit-resent", 4.5, copy.deepcopy(body), response)
    [f] = findings  # the retry at minute 4 says true; this third send says false
    assert (f.exchange_id, f.severity) == (planted_id, "warning")
    assert "re-send number 2" in f.detail and "is_retry false" in f.detail


def test_a_first_attempt_flagged_as_a_retry_is_a_warning(tmp_path):
    body = {**common("redeemReward", "3257374931"), "is_retry": True,
            "order": order("0e5a4444-68ba-4449-bf09-4efb5d665339", paid=False, offer_status="validated")}
    findings, planted_id = planted(tmp_path, "xgl-is-retry-on-resend", "first-retry", 10, body,
                                   {**OK, "rewards_data": {"declined_rewards": [], "redeemed_rewards": []}})
    assert [(f.exchange_id, f.severity) for f in findings] == [(planted_id, "warning")]


def test_a_reward_submitted_as_redeemed_without_a_redemption_is_a_warning(tmp_path):
    body = {**common("submitOrder", "3257374932"), "is_retry": False,
            "order": order("0e5a5555-68ba-4449-bf09-4efb5d665339", paid=True, offer_status="redeemed")}
    findings, planted_id = planted(tmp_path, "xgl-redeem-before-submit", "submit-unredeemed", 10, body, OK)
    [f] = findings
    assert (f.exchange_id, f.severity) == (planted_id, "warning")
    assert "0e5a5555-68ba-4449-bf09-4efb5d665339" in f.detail


def test_a_reverse_of_a_redemption_never_made_is_an_error(tmp_path):
    body = {**common("reverseBalance", "1234567899"), "order": {},
            "reverse_rewards": [{"transaction_id": "654321", "reverse_balance": 245}]}
    findings, planted_id = planted(tmp_path, "xgl-reverse-without-redemption", "reverse-unknown", 10, body,
                                   {**OK, "declined_reverse": [], "reversed_balance": []})
    [f] = findings
    assert (f.exchange_id, f.severity) == (planted_id, "error")
    assert "654321" in f.detail


def test_a_reverse_before_its_redemption_is_an_error(tmp_path):
    day = compliant()
    minute, body, response = day["reverse-balance"]
    findings, planted_id = planted(tmp_path, "xgl-reverse-without-redemption", "reverse-balance", 6.5, body, response)
    assert [f.exchange_id for f in findings] == [planted_id]


def test_an_identify_that_finds_nobody_is_a_warning(tmp_path):
    findings, planted_id = planted(tmp_path, "xgl-identify-is-identified", "nobody", 10, common("identifyCustomers", "3257374933"),
                                   {**OK, "customers": [{"information": {"id": "1"}, "is_identified": False}]})
    [f] = findings
    assert (f.exchange_id, f.severity, f.detail) == (
        planted_id, "warning", "identifyCustomers (transaction_token 3257374933) answered is_identified false")


def test_a_simulation_of_a_paid_order_is_a_warning(tmp_path):
    body = {**common("simulateAccrual", "3257374934"), "order": order("0e5a6666-68ba-4449-bf09-4efb5d665339", paid=True)}
    findings, planted_id = planted(tmp_path, "xgl-order-state-per-action", "simulate-paid", 10, body,
                                   {**OK, "rewards_data": {"validated_rewards": [], "declined_rewards": []}})
    [f] = findings
    assert (f.exchange_id, f.severity) == (planted_id, "warning")
    assert "payment_status paid" in f.detail


def test_an_order_call_without_its_order_is_a_warning(tmp_path):
    body = {**common("simulateAccrual", "3257374935")}
    findings, planted_id = planted(tmp_path, "xgl-required-members", "no-order", 10, body,
                                   {**OK, "rewards_data": {"validated_rewards": [], "declined_rewards": []}})
    assert [(f.exchange_id, f.severity) for f in findings] == [(planted_id, "warning")]


def test_every_xgl_rule_has_a_planted_test():
    tested = {"xgl-void-without-submit", "xgl-action-type-required", "xgl-company-and-site-headers",
              "xgl-headers-match-order", "xgl-post-json", "xgl-date-time-iso-utc", "xgl-local-date-time-format",
              "xgl-transaction-token-present", "xgl-is-retry-on-resend", "xgl-redeem-before-submit",
              "xgl-reverse-without-redemption", "xgl-identify-is-identified", "xgl-order-state-per-action",
              "xgl-required-members"}
    assert set(XGL_RULES) == tested
