"""Match documents and matchers: what makes two requests the same request."""

import base64
import json

import pytest

from tests.samples import exchange, redactor
from replay.matching import DEFAULT, Matching, MatcherError, compare, register
from tillroll.capture import capture
from tillroll.capture.match_doc import match_document, without_pii


def doc(raw, r=None):
    r = r or redactor()
    return match_document(capture(raw, r), r)


def spot(fields: dict, *, session="sess-aaaaaaaaaaaa", form="Parameters", security=None):
    body = {"RequestType": "GetCustomer", "AccountKey": "ABCD1234", "SessionID": session}
    if security:
        body["SecurityID"] = security
    if form == "Body":
        body["Body"] = base64.b64encode(json.dumps(fields).encode()).decode()
    else:
        body[form] = fields
    return exchange("POST", "api.mydrycleaner.com", "/q", body=json.dumps(body).encode())


def key(raw, matching=Matching()):
    return matching.key(doc(raw))


def test_parameters_params_and_base64_body_are_the_same_request():
    fields = {"CustomerID": "c-1", "IncludeInvoices": True}
    keys = {key(spot(fields, form=form)) for form in ("Parameters", "Params", "Body")}
    assert len(keys) == 1
    assert key(spot({"CustomerID": "c-2", "IncludeInvoices": True})) not in keys


def test_secrets_and_volatile_fields_never_take_part():
    a = spot({"CustomerID": "c-1"}, session="sess-from-the-recording-111", security="6AA3154B-0000-1111")
    b = spot({"CustomerID": "c-1"}, session="sess-in-ci-222222222222", security="CI-FAKE-SECURITY-ID")
    assert key(a) == key(b)
    assert "sess-" not in json.dumps(doc(a)) and "tillroll:sessionid" not in json.dumps(doc(a))


def test_query_order_does_not_matter_but_values_do():
    def spoton(query):
        return exchange("GET", "api.spoton.com", "/pos-export/v1/cash-deposits", query=query,
                        headers=[("x-api-key", "key-123456789")])
    a = spoton("locationId=L1&updatedAtStart=2026-11-01T00:00:00Z&updatedAtEnd=2026-11-02T00:00:00Z")
    b = spoton("updatedAtEnd=2026-11-02T00:00:00Z&locationId=L1&updatedAtStart=2026-11-01T00:00:00Z")
    c = spoton("locationId=L2&updatedAtStart=2026-11-01T00:00:00Z&updatedAtEnd=2026-11-02T00:00:00Z")
    assert key(a) == key(b) != key(c)


def test_spoonity_api_key_in_the_query_is_left_out():
    def order(api_key):
        return exchange("POST", "api.spoonity.com", "/vendor/order/process", query=f"api_key={api_key}",
                        body=b'{"receipt_number": "R-1", "total": 10}')
    assert key(order("live-key-aaaaaaaaaaaa")) == key(order("ci-key-bbbbbbbbbbbbb"))


def test_pii_matches_by_pseudonym_with_the_key_and_is_left_out_without_it():
    def lookup(email):
        return exchange("POST", "api.example.com", "/customers/search", body=json.dumps({"email": email}).encode())
    same, other = doc(lookup("ann@example.com")), doc(lookup("bob@example.com"))
    with_key, without_key = Matching(pii=True), Matching(pii=False)
    assert with_key.key(same) != with_key.key(other)
    assert without_key.key(same) == without_key.key(other)
    assert "ann@example.com" not in json.dumps(same)
    assert without_pii(same)["params"] == {}


def test_host_is_ignored_unless_asked():
    a = exchange("GET", "api.example.com", "/v1/items")
    b = exchange("GET", "127.0.0.1", "/v1/items")
    assert key(a) == key(b)
    with_host = Matching(DEFAULT + ("host",))
    assert with_host.key(doc(a)) != with_host.key(doc(b))


def test_matchers_are_named_functions_a_user_can_add():
    register("store", lambda d: (d.get("params") or {}).get("StoreID"))
    only_store = Matching(("method", "store"))
    a = exchange("POST", "api.example.com", "/x", body=b'{"StoreID": 1, "note": "a"}')
    b = exchange("POST", "api.example.com", "/y", body=b'{"StoreID": 1, "note": "b"}')
    assert only_store.key(doc(a)) == only_store.key(doc(b))
    with pytest.raises(MatcherError, match="unknown matcher.*nope"):
        Matching(("method", "nope"))


def test_the_near_miss_names_the_failed_matcher_and_the_field():
    live = doc(spot({"CustomerID": "c-1", "StoreID": "S-9"}))
    recorded = doc(spot({"CustomerID": "c-1", "StoreID": "S-1"}))
    miss = compare(live, recorded, Matching())
    assert miss.failed == ["params"]
    assert miss.diff == [{"field": "params.StoreID", "request": "S-9", "recorded": "S-1", "change": "different"}]
    far = compare(live, doc(exchange("GET", "api.example.com", "/other")), Matching())
    assert far.distance > miss.distance
