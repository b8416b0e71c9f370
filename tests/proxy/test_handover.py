"""The hand-over to the capture worker: a raw exchange as plain values, and back, unchanged."""

import dataclasses
import datetime as dt
import pickle

from tests.samples import exchange
from tillroll.capture import RawExchange, RawRequest, RawResponse
from tillroll.proxy.worker import pack, unpack


def every_field_set() -> RawExchange:
    """Each field of the three dataclasses a value of its own (none left at its default)."""
    req = RawRequest("POST", "https", "api.example.test", 8443, "/q/%2Fx", query="a=1&api_key=k",
                     http_version="HTTP/2.0", headers=[("Host", "api.example.test"), ("X-Dup", "1"), ("X-Dup", "2")],
                     body=b"\x00\xff{}", body_size=123_456, truncated=True, decoded=True)
    resp = RawResponse(207, reason="Multi", http_version="HTTP/1.0", headers=[("Content-Encoding", "gzip")],
                       body=b"\x1f\x8b", body_size=99, truncated=True, decoded=True)
    raw = RawExchange(req, dt.datetime(2026, 12, 7, 16, 5, 4, 321_987, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
                      resp, error="reset", duration_ms=1.5, connect_ms=2.5, tls_ms=3.5, send_ms=4.5, wait_ms=5.5,
                      receive_ms=6.5, group="conn-7")
    for obj, cls in ((req, RawRequest), (resp, RawResponse), (raw, RawExchange)):  # the test covers every field
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                assert getattr(obj, f.name) != f.default, f"{cls.__name__}.{f.name} left at its default"
    return raw


def through_the_pipe(raw: RawExchange) -> RawExchange:
    return unpack(pickle.loads(pickle.dumps(pack(raw), protocol=5)))


def test_every_field_of_a_raw_exchange_arrives_unchanged():
    raw = every_field_set()
    arrived = through_the_pipe(raw)
    assert arrived == raw
    assert arrived.started_at.utcoffset() == raw.started_at.utcoffset()
    assert type(arrived.request) is RawRequest and type(arrived.response) is RawResponse


def test_an_exchange_without_a_response_arrives_without_one():
    raw = exchange("GET", "api.example.test", "/x", status=None, error="connection refused")
    assert through_the_pipe(raw) == raw and through_the_pipe(raw).response is None


def test_the_hand_over_carries_no_class_of_tillroll():
    """Plain values only: the child never imports a class by the name a pickle gives it."""
    assert b"tillroll" not in pickle.dumps(pack(every_field_set()), protocol=5)
