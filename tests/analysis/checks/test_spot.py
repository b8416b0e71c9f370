"""SPOT (XplorSPOT) checks: each fires on one planted violation, on exactly that exchange,
and none fires on a compliant day that walks close to every line the docs draw.

Traffic is written as a HAR and imported through the real recording pipeline; values in
the views are redacted (sessions are pseudonyms), so sessions are followed, never read.
"""

from __future__ import annotations

import base64
import json

import pytest
from tillroll.analysis import checks
from tillroll.analysis.reports import run as run_report
from tillroll.analysis.views import connect

from tests.analysis.har_day import at, call, exchange_at, import_day

GATEWAY = "https://api.mydrycleaner.com"
ACCOUNT_KEY = "ABCD1234"  # the documentation's example environment
SECURITY_ID = "6AA3154B-7A6D-4BD4-865A-20EFC9EBC5BB"
PUBLISHABLE_ID = "C2182AFD-8C48-41BD-A329-FD48F86F0C11"
UA = "Windows PC (App v1.1)"
BROWSER_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
S0, S1, S2, S3, S4, S5, S9 = (f"71432c48-d7ed-4d5c-98e6-4f31f74c45{n:02d}" for n in (0, 1, 2, 3, 4, 5, 9))

RULES = [
    "spot-securityid-outside-gettoken",
    "spot-securityid-missing",
    "spot-securityid-from-browser",
    "spot-required-member-missing",
    "spot-user-agent-missing",
    "spot-session-used-after-expiry",
    "spot-session-not-issued",
    "spot-session-reused-after-login",
    "spot-customer-function-without-login",
    "spot-deprecated-body-or-xml",
    "spot-method-not-post-or-get",
    "spot-get-outside-get-endpoint",
    "spot-content-type-not-json",
    "spot-post-body-missing",
    "spot-get-action-without-id",
    "spot-message-details-outside-server-error",
    "spot-account-key-not-loaded",
]


def ok(return_object=None) -> dict:
    return {"Failed": False, "Message": None, "MessageDetails": None, "ReturnObject": return_object or {}}


def failed(message: str, details: str | None = None) -> dict:
    return {"Failed": True, "Message": message, "MessageDetails": details, "ReturnObject": None}


def spot(minutes: float, request_type: str | None, *, endpoint: str = "q", session: str | None = None,
         security: bool = False, parameters: dict | None = None, response: dict | None = None,
         status: int = 200, drop: tuple[str, ...] = (), **kwargs) -> dict:
    """A POST of the documented request object; *drop* leaves members out."""
    body = {"RequestType": request_type, "AccountKey": ACCOUNT_KEY, "UserAgent": UA}
    if session:
        body["SessionID"] = session
    if security:
        body["SecurityID"] = SECURITY_ID
    if parameters is not None:
        body["Parameters"] = parameters
    body = {k: v for k, v in body.items() if k not in drop and v is not None}
    return call(at(minutes), "POST", f"{GATEWAY}/{endpoint}", json_body=body, status=status,
                response=response if response is not None else ok(), **kwargs)


def get_action(minutes: float, query: str, endpoint: str = "g") -> dict:
    return call(at(minutes), "GET", f"{GATEWAY}/{endpoint}?{query}",
                response=ok([{"StoreID": "1", "StoreName": "Main Street"}]))


def compliant_day() -> list[dict]:
    """Documented behaviour, near misses included."""
    return [
        # a session issued before the recording started, used within its 20 minutes
        spot(0, "GetStoreList", session=S0),
        spot(1, "GetToken", security=True, response=ok({"SessionID": S1})),
        spot(2, "Login", session=S1, parameters={"UserName": "example@example.com", "Password": "g653chj76j"},
             response=ok({"SessionID": S2, "CustomerID": "C42"})),
        spot(3, "GetCustomer", session=S2, content_type="text/json; charset=utf-8"),
        spot(4, "GetInvoices", session=S2, parameters={"Status": "Ready"}),
        get_action(5, f"RequestType=GetStoreList&ID={PUBLISHABLE_ID}"),
        # CloseInvoice is the other call that carries the SecurityID
        spot(6, "CloseInvoice", endpoint="r", session=S2, security=True, parameters={"InvoiceID": "I-7"}),
        # browser-side code without the SecurityID is fine
        call(at(7), "POST", f"{GATEWAY}/q", headers=[("Origin", "https://shop.example.com")],
             json_body={"RequestType": "GetCustomer", "AccountKey": ACCOUNT_KEY, "UserAgent": BROWSER_UA,
                        "SessionID": S2}, response=ok()),
        # a server-side error: details are documented there, and one failure to load a key
        # that works elsewhere is the vendor's "unknown error", not an invalid key
        spot(8, "GetInvoices", session=S2, status=500,
             response=failed("Unable to load account.", "Timeout reading account ABCD1234")),
        # a second session, first used 19 minutes after GetToken issued it
        spot(30, "GetToken", security=True, response=ok({"SessionID": S3})),
        spot(49, "GetStoreList", session=S3),
        spot(68, "GetStoreList", session=S3),
    ]


def planted(rule: str) -> tuple[list[dict], float]:
    """Entries added to the compliant day to break *rule*, and the minute of the one that does."""
    if rule == "spot-securityid-outside-gettoken":  # tucked into Parameters, not the envelope
        return [spot(10, "GetCustomer", session=S2, parameters={"SecurityID": SECURITY_ID})], 10
    if rule == "spot-securityid-missing":
        return [spot(10, "GetToken", response=failed("SecurityID is missing."))], 10
    if rule == "spot-securityid-from-browser":
        return [spot(10, "GetToken", security=True, headers=[("Origin", "https://shop.example.com")],
                     response=ok({"SessionID": S4}))], 10
    if rule == "spot-required-member-missing":
        return [spot(10, "GetCustomer", session=S2, drop=("AccountKey",))], 10
    if rule == "spot-user-agent-missing":
        return [spot(10, "GetCustomer", session=S2, drop=("UserAgent",))], 10
    if rule == "spot-session-used-after-expiry":  # 21 minutes after GetToken issued it, first use
        return [spot(60, "GetToken", security=True, response=ok({"SessionID": S4})),
                spot(81, "GetStoreList", session=S4)], 81
    if rule == "spot-session-not-issued":
        return [spot(25, "GetStoreList", session=S9)], 25
    if rule == "spot-session-reused-after-login":
        return [spot(10, "GetCustomer", session=S1)], 10
    if rule == "spot-customer-function-without-login":
        return [spot(70, "GetToken", security=True, response=ok({"SessionID": S5})),
                spot(71, "GetCustomer", session=S5, status=401,
                     response=failed("GetCustomer requires a logged-in customer."))], 71
    if rule == "spot-deprecated-body-or-xml":
        body = base64.b64encode(json.dumps({"Status": "Ready"}).encode()).decode()
        return [call(at(10), "POST", f"{GATEWAY}/q", response=ok(), json_body={
            "RequestType": "GetInvoices", "AccountKey": ACCOUNT_KEY, "UserAgent": UA, "SessionID": S2,
            "Body": body})], 10
    if rule == "spot-method-not-post-or-get":
        return [call(at(10), "PUT", f"{GATEWAY}/q", status=500, response=failed("Invalid http method."),
                     json_body={"RequestType": "GetCustomer", "AccountKey": ACCOUNT_KEY, "UserAgent": UA,
                                "SessionID": S2})], 10
    if rule == "spot-get-outside-get-endpoint":
        return [get_action(10, f"RequestType=GetStoreList&ID={PUBLISHABLE_ID}", endpoint="q")], 10
    if rule == "spot-content-type-not-json":
        return [spot(10, "GetCustomer", session=S2, content_type="text/plain", status=400,
                     response=failed("Content-Type is invalid"))], 10
    if rule == "spot-post-body-missing":
        return [call(at(10), "POST", f"{GATEWAY}/q", status=400, response=failed("Body is missing"))], 10
    if rule == "spot-get-action-without-id":
        return [call(at(10), "GET", f"{GATEWAY}/g?RequestType=GetStoreList&AccountKey={ACCOUNT_KEY}&UserAgent=POS",
                     status=400, response=failed("Missing ID"))], 10
    if rule == "spot-message-details-outside-server-error":
        return [spot(10, "GetInvoices", session=S2,
                     response=failed("Could not read invoices.", "SqlException at InvoiceRepository.Get"))], 10
    if rule == "spot-account-key-not-loaded":
        return [call(at(10), "POST", f"{GATEWAY}/q", status=500,
                     response=failed("Unable to load account.", "No account has the AccountKey 'NOSUCHACCOUNT'."),
                     json_body={"RequestType": "GetToken", "AccountKey": "NOSUCHACCOUNT",
                                "SecurityID": SECURITY_ID, "UserAgent": UA})], 10
    raise AssertionError(rule)


def spot_findings(cassette) -> list[checks.Finding]:
    spot_checks = [c for c in checks.load() if c.rule.startswith("spot-")]
    return checks.run(connect([cassette]), spot_checks)


@pytest.fixture(scope="module")
def compliant(tmp_path_factory):
    return import_day(tmp_path_factory.mktemp("spot") / "compliant", compliant_day())


def test_every_spot_check_is_tested_here():
    assert sorted(c.rule for c in checks.load() if c.rule.startswith("spot-")) == sorted(RULES)


def test_the_compliant_day_is_recognised_as_spot(compliant):
    rows = connect([compliant]).sql("SELECT vendor, count(*) FROM exchanges GROUP BY ALL").fetchall()
    assert rows == [("spot", len(compliant_day()))]


@pytest.mark.parametrize("rule", RULES)
def test_the_compliant_day_breaks_no_spot_rule(compliant, rule):
    assert [f.detail for f in spot_findings(compliant) if f.rule == rule] == []


@pytest.mark.parametrize("rule", RULES)
def test_a_planted_violation_is_found_on_exactly_its_exchange(tmp_path, rule):
    extra, minute = planted(rule)
    cassette = import_day(tmp_path / "c", compliant_day() + extra)
    target = exchange_at(cassette, at(minute))
    findings = spot_findings(cassette)
    assert [(f.rule, f.exchange_id) for f in findings if f.rule == rule] == [(rule, target)]
    # nothing else in the otherwise compliant day is reported
    assert {f.exchange_id for f in findings} == {target}
    [finding] = [f for f in findings if f.rule == rule]
    assert finding.vendor == "spot" and finding.detail
    assert SECURITY_ID not in finding.detail  # values are printed as stored: redacted


def test_details_name_the_offending_values(tmp_path):
    day = compliant_day() + planted("spot-session-used-after-expiry")[0] + planted("spot-account-key-not-loaded")[0]
    findings = {f.rule: f for f in spot_findings(import_day(tmp_path / "c", day))}
    expired = findings["spot-session-used-after-expiry"].detail
    assert "00:21:00 idle" in expired and "issued by GetToken at 10:00:00" in expired
    assert "tillroll:sessionid:" in expired and S4 not in expired
    unknown = findings["spot-account-key-not-loaded"].detail
    assert "NOSUCHACCOUNT" in unknown and "Unable to load account." in unknown


def test_the_securityid_is_seen_in_a_legacy_body_and_in_xml(tmp_path):
    body = base64.b64encode(json.dumps({"SecurityID": SECURITY_ID, "Status": "Ready"}).encode()).decode()
    xml = (f"<Request><RequestType>GetCustomer</RequestType><AccountKey>{ACCOUNT_KEY}</AccountKey>"
           f"<UserAgent>{UA}</UserAgent><SessionID>{S2}</SessionID><SecurityID>{SECURITY_ID}</SecurityID></Request>")
    day = compliant_day() + [
        call(at(10), "POST", f"{GATEWAY}/q", response=ok(), json_body={
            "RequestType": "GetInvoices", "AccountKey": ACCOUNT_KEY, "UserAgent": UA, "SessionID": S2, "Body": body}),
        call(at(11), "POST", f"{GATEWAY}/q", body=xml, content_type="text/xml", response=ok()),
    ]
    cassette = import_day(tmp_path / "c", day)
    findings = spot_findings(cassette)
    outside = sorted(f.exchange_id for f in findings if f.rule == "spot-securityid-outside-gettoken")
    assert outside == sorted([exchange_at(cassette, at(10)), exchange_at(cassette, at(11))])
    # the XML request is deprecated (a warning), not also a Content-Type error
    assert [f.rule for f in findings if f.exchange_id == exchange_at(cassette, at(11))] == \
        ["spot-deprecated-body-or-xml", "spot-securityid-outside-gettoken"]


def test_the_sessions_report_starts_the_idle_timer_at_issue(tmp_path):
    cassette = import_day(tmp_path / "c", compliant_day() + planted("spot-session-used-after-expiry")[0])
    late = [r for r in run_report(connect([cassette]), "sessions").to_pylist() if r["after_idle_expiry"]]
    assert [(r["issued_by"], r["requests"], r["longest_idle_seconds"]) for r in late] == [("GetToken", 1, 21 * 60)]
