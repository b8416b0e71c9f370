"""The send plan: recorded requests with their pseudonyms filled, and their schedule (pure)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from tillroll.send.plan import fill, parse_rate, plan, schedule, slots
from tests.samples import exchange, redactor
from tillroll.capture import capture

SECRET = "6AA3154B-7A6D-4BD4-865A-20EFC9EBC5BB"


def captured(raw):
    return capture(raw, redactor())


def spot_login():
    body = {"RequestType": "Login", "AccountKey": "ABCD1234", "SessionID": "S-1234567890", "UserAgent": "POS",
            "Parameters": {"UserName": "ann@example.com", "Password": "hunter2-hunter2"}}
    return captured(exchange("POST", "api.mydrycleaner.com", "/q", body=json.dumps(body).encode(),
                             response=b'{"Failed": false}'))


def values(table: dict[str, str]):
    return lambda token, field: table.get(token) or table.get(f"{token}@{field}")


def test_every_pseudonym_is_listed_with_the_field_it_stands_in():
    ex = spot_login()
    r = redactor()
    assert slots(ex) == [(r.pseudonym("sessionid", "S-1234567890"), "SessionID"),
                         (r.pseudonym("username", "ann@example.com"), "UserName"), ("tillroll:dropped", "Password")]


def test_filling_puts_clear_values_back_and_keeps_the_rest_of_the_request():
    ex = spot_login()
    r = redactor()
    table = {r.pseudonym("sessionid", "S-1234567890"): "LIVE-SESSION",
             r.pseudonym("username", "ann@example.com"): "ann@example.com", "tillroll:dropped@Password": "pw"}
    concrete = fill(ex, values(table))
    assert json.loads(concrete.body) == {"RequestType": "Login", "AccountKey": "ABCD1234", "SessionID": "LIVE-SESSION",
                                         "UserAgent": "POS",
                                         "Parameters": {"UserName": "ann@example.com", "Password": "pw"}}
    assert concrete.method == "POST" and concrete.path == "/q"
    assert "content-length" not in {k.lower() for k, _ in concrete.headers}
    # a value nobody knows stays as recorded
    assert json.loads(fill(ex, lambda t, f: None).body)["Parameters"]["Password"] == "tillroll:dropped"


def test_query_headers_and_path_are_filled():
    ex = captured(exchange("POST", "api.spoonity.com", "/user/ann@example.com/order", query="api_key=K-123456789&x=1",
                           headers=[("Content-Type", "application/json"), ("X-Api-Key", "H-987654321")],
                           body=b"{}", response=b"{}"))
    assert {f for _, f in slots(ex)} == {"api_key", "X-Api-Key", "user"}
    concrete = fill(ex, lambda token, field: {"api_key": "K&=1", "X-Api-Key": "HDR", "user": "bob@example.com"}[field])
    assert concrete.query == "api_key=K%26%3D1&x=1"  # the other pair byte for byte
    assert ("X-Api-Key", "HDR") in concrete.headers
    assert concrete.path == "/user/bob%40example.com/order"


def test_a_legacy_base64_body_is_filled_inside():
    locker = {"LockerID": "L-1", "Password": "hunter2-hunter2"}
    body = {"RequestType": "LockerEvent", "AccountKey": "ABCD1234", "UserAgent": "POS",
            "Body": base64.b64encode(json.dumps(locker).encode()).decode()}
    ex = captured(exchange("POST", "api.mydrycleaner.com", "/r", body=json.dumps(body).encode(), response=b"{}"))
    assert slots(ex) == [("tillroll:dropped", "Password")]
    concrete = fill(ex, lambda token, field: "pw" if field == "Password" else None)
    assert json.loads(base64.b64decode(json.loads(concrete.body)["Body"])) == {"LockerID": "L-1", "Password": "pw"}


def test_whole_values_handed_out_earlier_are_replaced_where_they_stand_whole():
    ex = captured(exchange("DELETE", "api.spoonity.com", "/order", query="api_key=K-123456789",
                           body=b'{"receipt": "17000001", "note": "void 17000001"}', response=b"{}"))
    concrete = fill(ex, lambda t, f: None, {"17000001": "17999999"})
    assert json.loads(concrete.body) == {"receipt": "17999999", "note": "void 17000001"}


def test_the_schedule_divides_the_recorded_gaps_by_the_rate():
    t0 = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.timezone.utc)
    exchanges = []
    for seconds in (0, 2, 2.5, 10):
        ex = captured(exchange("GET", "api.example.com", "/v1/items", response=b"[]"))
        ex.started_at = t0 + dt.timedelta(seconds=seconds)
        exchanges.append(ex)
    plans = plan(exchanges)
    assert schedule(plans, parse_rate("recorded")) == [0, 2, 2.5, 10]
    assert schedule(plans, parse_rate("2x")) == [0, 1, 1.25, 5]
    assert schedule(plans, parse_rate("0.5x")) == [0, 4, 5, 20]
    assert schedule(plans, parse_rate("max")) == [0, 0, 0, 0]


@pytest.mark.parametrize("text", ["fast", "0x", "-2x", "2", "x", "infx", "nanx"])
def test_a_rate_that_means_nothing_is_refused(text):
    with pytest.raises(ValueError, match="use recorded, max, or a multiple"):
        parse_rate(text)


def test_a_request_is_sent_decoded_as_it_was_stored_so_its_content_encoding_is_not_copied():
    import gzip

    raw = exchange("POST", "api.example.com", "/v1/items", body=gzip.compress(b'{"a": 1}'),
                   headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")], response=b"{}")
    concrete = fill(captured(raw), lambda t, f: None)
    assert concrete.body == b'{"a": 1}'
    assert "content-encoding" not in {k.lower() for k, _ in concrete.headers}
