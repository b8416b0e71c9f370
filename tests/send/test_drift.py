"""Drift between a recorded answer and a live one, and what is only noise (pure)."""

from __future__ import annotations

import json

from tillroll.send.drift import Change, compare
from tests.samples import exchange, redactor
from tillroll.capture import capture_keyed

REQUEST = {"RequestType": "GetCustomer", "AccountKey": "ABCD1234", "UserAgent": "POS", "SessionID": "S-1"}


def answer(response: dict | str, status: int = 200, request: dict | None = None):
    body = response if isinstance(response, str) else json.dumps(response)
    return capture_keyed(exchange("POST", "api.mydrycleaner.com", "/q", body=json.dumps(request or REQUEST).encode(),
                                  status=status, response=body.encode()), redactor())


def changes(recorded, live, cassette=None):
    report = compare([(recorded, live)], cassette or [recorded])
    return [c for op in report.drift for c in op.changes], report


OK = {"Failed": False, "Message": None, "ReturnObject": {"CustomerID": "c-1", "Balance": 12.5, "Since": "2024-01-01",
                                                        "Stores": [{"Id": "s-1", "Open": True}]}}


def test_the_same_answer_is_no_drift():
    found, report = changes(answer(OK), answer(OK))
    assert found == [] and report.compared == 1 and report.noise == []


def test_status_then_outcome_tell_the_whole_story():
    assert changes(answer(OK), answer(OK, 500))[0] == [Change("(status)", "status", "200", "500")]
    failed = {**OK, "Failed": True, "Message": "Session has expired"}
    assert changes(answer(OK), answer(failed))[0] == [
        Change("(outcome)", "outcome", "ok", "failed: Session has expired")]


def test_fields_added_removed_renamed_and_retyped_are_named_once():
    live = json.loads(json.dumps(OK))
    obj = live["ReturnObject"]
    obj["Points"] = {"Total": 3}  # added, with a field inside: named once
    obj["Balance"] = "12.5"  # type changed
    obj["Stores"][0]["StoreId"] = obj["Stores"][0].pop("Id")  # renamed
    del obj["CustomerID"]
    obj["Since"] = None  # null is not a type change (nor a value change of note: a value)
    found, _ = changes(answer(OK), answer(live))
    assert sorted(found, key=lambda c: c.field) == [
        Change("ReturnObject.Balance", "type changed", "number", "string"),
        Change("ReturnObject.CustomerID", "removed", "string", None),
        Change("ReturnObject.Points", "added", None, "object"),
        Change("ReturnObject.Stores[].Id", "renamed", "ReturnObject.Stores[].Id", "StoreId")]


def test_values_drift_but_noise_is_left_out_and_listed():
    live = json.loads(json.dumps(OK))
    live["ReturnObject"]["Balance"] = 99.0
    live["ReturnObject"]["Since"] = "2025-06-01"
    live["SessionID"] = "x"  # a field live only: added
    found, report = changes(answer(OK), answer(live))
    assert Change("ReturnObject.Balance", "value changed", "12.5", "99.0") in found
    assert [(n.field, n.why) for n in report.noise] == [("ReturnObject.Since", "a date/time")]


def test_values_that_vary_between_identical_recorded_requests_are_noise():
    first, second = json.loads(json.dumps(OK)), json.loads(json.dumps(OK))
    second["ReturnObject"]["Balance"] = 7.0
    recorded = [answer(first), answer(second)]
    live = json.loads(json.dumps(OK))
    live["ReturnObject"]["Balance"] = 3.0
    found, report = changes(recorded[0], answer(live), recorded)
    assert found == []
    assert [(n.field, n.why) for n in report.noise] == [
        ("ReturnObject.Balance", "varies between the recorded answers of identical requests")]


def test_an_answer_matching_another_recording_of_the_same_request_is_no_drift():
    expired = answer({"Failed": True, "Message": "expired", "ReturnObject": None}, 401)
    recorded = [answer(OK), expired]
    found, report = changes(expired, answer(OK), recorded)
    assert found == []
    assert {n.field for n in report.noise} >= {"(status)", "(outcome)"}


def test_no_answer_is_drift():
    found, _ = changes(answer(OK), None)
    assert found == [Change("(answer)", "no answer", "HTTP 200", "none")]
