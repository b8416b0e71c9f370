"""Match documents and matchers: what makes two requests the same request."""

import base64
import json

import pytest

from tests.samples import exchange, redactor
from tillroll.replay.matching import DEFAULT, Matching, MatcherError, compare, register
from tillroll.capture import capture
from tillroll.capture import match_doc
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


def test_what_one_vendor_leaves_out_is_not_left_out_for_another():
    # The key names judged are kept per vendor, from one request to the next: SPOT's
    # volatile Timestamp must not make a generic API's timestamp unmatched.
    r = redactor()
    spot_a = spot({"CustomerID": "c-1", "Timestamp": "2026-11-01T10:00:00"})
    spot_b = spot({"CustomerID": "c-1", "Timestamp": "2026-11-02T11:00:00"})

    def generic(stamp):
        return exchange("POST", "api.example.org", "/orders", body=json.dumps({"Timestamp": stamp, "n": 1}).encode())

    for _ in range(2):  # the second time from the memo
        assert Matching().key(doc(spot_a, r)) == Matching().key(doc(spot_b, r))
        assert Matching().key(doc(generic("2026-11-01"), r)) != Matching().key(doc(generic("2026-11-02"), r))


def test_key_names_from_the_traffic_do_not_grow_the_memo_without_bound():
    r = redactor()
    names = [f"field{i}" for i in range(match_doc.JUDGED_KEPT + 500)]
    raw = exchange("POST", "api.example.org", "/bulk", body=json.dumps({n: i for i, n in enumerate(names)}).encode())
    body = doc(raw, r)["params"]  # a generic JSON body is its parameters
    assert body == {n: i for i, n in enumerate(names)}  # every member still judged, none lost
    assert all(len(judged) <= match_doc.JUDGED_KEPT for _, judged, _ in r.match_memo.values())
    assert doc(raw, r)["params"] == body
    ex = match_doc.capture_keyed(raw, r)  # the stored key: read from the text where compiled, judged into tables
    assert ex.match_key == match_doc.key_text(match_doc.match_document(ex, r))
    assert all(table is None or len(table) <= match_doc.JUDGED_KEPT for _, _, table in r.match_memo.values())
    assert all(len(table) <= match_doc.JUDGED_KEPT for table in r.key_tables.values())  # the byte walk's
