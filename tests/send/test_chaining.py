"""Bindings found from the cassette alone: what an answer handed out and later requests carried (pure)."""

from __future__ import annotations

import json

from tillroll.send.chaining import distinctive, find_bindings, live_value
from tillroll.send.plan import plan
from tests.samples import exchange, redactor
from tillroll.capture import capture


def spot(request_type: str, response: dict, **fields):
    body = {"RequestType": request_type, "AccountKey": "ABCD1234", "UserAgent": "POS", **fields}
    return capture(exchange("POST", "api.mydrycleaner.com", "/q", body=json.dumps(body).encode(),
                            response=json.dumps(response).encode()), redactor())


def spoonity(method: str, body: dict, response: dict):
    return capture(exchange(method, "api.spoonity.com", "/order", query="api_key=K-123456789",
                            body=json.dumps(body).encode(), response=json.dumps(response).encode()), redactor())


def test_sessions_are_bound_to_the_answer_that_handed_them_out():
    day = [spot("GetToken", {"ReturnObject": {"SessionID": "S-0000000001"}}, SecurityID="SEC-123456789"),
           spot("Login", {"ReturnObject": {"SessionID": "S-0000000002", "Phone": "801-555-0134"}},
                SessionID="S-0000000001"),
           spot("GetCustomer", {"ReturnObject": {}}, SessionID="S-0000000002"),
           spot("FindCustomer", {"ReturnObject": [{"Phone": "801-555-0134"}]}, SessionID="S-0000000002",
                Parameters={"Search": "801-555-0134"})]  # the answer makes the search a pseudonym too
    found = [(b.source, b.where, b.keyed, b.users) for b in find_bindings(plan(day))]
    assert found == [(0, "ReturnObject.SessionID", True, [1]), (1, "ReturnObject.SessionID", True, [2, 3]),
                     (1, "ReturnObject.Phone", True, [3])]


def test_a_value_a_request_carried_first_is_the_pos_own_not_a_binding():
    day = [spot("Login", {"ReturnObject": {"UserName": "ann@example.com"}}, Parameters={"UserName": "ann@example.com"}),
           spot("FindCustomer", {}, Parameters={"Search": "ann@example.com"})]
    assert find_bindings(plan(day)) == []


def test_clear_values_are_bound_only_when_distinctive():
    day = [spoonity("POST", {"receipt_number": "R-1"}, {"reference_number": "17579621", "till": "1", "ok": "true"}),
           spoonity("DELETE", {"receipt": "17579621", "till": "1"}, {"voided": True}),
           spoonity("DELETE", {"receipt": "17579621"}, {"voided": False})]
    [binding] = find_bindings(plan(day))
    assert (binding.source, binding.where, binding.keyed, binding.recorded, binding.users) == \
        (0, "reference_number", False, "17579621", [1, 2])


def test_distinctive_values():
    assert distinctive("17579621") and distinctive("oz0dl5wi7qpsjj47q0000aoqx1")
    assert not distinctive("1001")  # short: collides by chance
    assert not distinctive("Salt Lake City")  # no digit: a word
    assert not distinctive("2026-11-22T09:00:00Z")  # dates repeat everywhere
    assert not distinctive("00000000-0000-0000-0000-000000000000")


def test_the_live_value_is_read_at_the_same_place():
    body = b'{"ReturnObject": [{"id": 17}, {"id": "x"}], "ok": true}'
    assert live_value(body, ("ReturnObject", 0, "id")) == "17"
    assert live_value(body, ("ReturnObject", 1, "id")) == "x"
    assert live_value(body, ("ReturnObject", 2, "id")) is None
    assert live_value(body, ("ok",)) is None
    assert live_value(b"<html>", ("ok",)) is None
