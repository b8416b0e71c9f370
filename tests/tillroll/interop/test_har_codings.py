"""HAR bodies under a Content-Encoding: browsers write them decoded. Where the entry says
the size they had on the wire, the import hands them on decoded instead of encoding them
again only to decode them (a Brotli body took milliseconds), and stores what it stored
when it encoded them: the same record, field for field."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.samples import redactor
from tillroll.capture import capture
from tillroll.capture.content import encode_content
from tillroll.interop.har import raw_from_entry

CODINGS = ["gzip", "br", "deflate", "zstd", "gzip, br"]
MAX_BODY = 4 << 20


def entry(body: bytes, coding: str, body_size: int, *, request: bool = False) -> dict:
    """A browser's HAR entry: the body decoded in the text, the coding in the headers."""
    headers = [{"name": "Content-Type", "value": "application/json"}, {"name": "Content-Encoding", "value": coding}]
    req = {"method": "POST" if request else "GET", "url": "https://api.example.com/v1/orders?page=2",
           "httpVersion": "HTTP/1.1", "headers": headers if request else headers[:1],
           "bodySize": body_size if request else 0}
    if request:
        req["postData"] = {"mimeType": "application/json", "text": body.decode()}
    return {"startedDateTime": "2026-12-01T10:00:00.000Z", "time": 12.5, "request": req,
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                         "headers": headers if not request else headers[:1], "bodySize": body_size if not request else 9,
                         "content": {"size": len(body), "mimeType": "application/json",
                                     "text": body.decode() if not request else '{"ok": 1}'}},
            "timings": {"send": 1, "wait": 10, "receive": 1.5}}


def encoded_as_before(raw, coding: str, request: bool):
    """The oracle: the same raw exchange with the body encoded, as the import made it before."""
    raw = copy.deepcopy(raw)
    side = raw.request if request else raw.response
    side.body, side.decoded = encode_content(side.body, coding), False
    return raw


JSON_BODIES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "password", "email", "card", "name", "note", "api_key"]), inner, max_size=4),
    max_leaves=12,
).map(lambda v: json.dumps({"order": v, "card": "4111 1111 1111 1111"}, ensure_ascii=False).encode())


@pytest.mark.parametrize("request_side", [False, True])
@settings(max_examples=60, deadline=None)
@given(body=JSON_BODIES, coding=st.sampled_from(CODINGS), wire=st.integers(1, 10**6))
def test_a_decoded_body_with_its_wire_size_is_stored_as_when_it_was_encoded_again(request_side, body, coding, wire):
    raw = raw_from_entry(entry(body, coding, wire, request=request_side), max_body=MAX_BODY)
    side = raw.request if request_side else raw.response
    assert side.decoded and side.body == body and side.body_size == wire  # nothing encoded
    r = redactor()
    got = dataclasses.asdict(capture(raw, r))
    want = dataclasses.asdict(capture(encoded_as_before(raw, coding, request_side), r))
    assert got == want
    assert "4111 1111 1111 1111" not in json.dumps(got, default=str)


@pytest.mark.parametrize("size", [-1, 0, None])
def test_without_a_wire_size_the_body_is_encoded_again_and_its_size_is_that(size):
    body = json.dumps({"items": list(range(200))}).encode()
    har = entry(body, "br", 1)
    if size is None:
        del har["response"]["bodySize"]
    else:
        har["response"]["bodySize"] = size
    raw = raw_from_entry(har, max_body=MAX_BODY)
    assert not raw.response.decoded and raw.response.body != body
    ex = capture(raw, redactor())
    assert ex.response_body_text == body.decode() and ex.response_body_size == len(raw.response.body)


def test_a_coding_tillroll_cannot_redo_drops_its_header_as_before():
    raw = raw_from_entry(entry(b'{"a": 1}', "compress", 30), max_body=MAX_BODY)
    assert not raw.response.decoded and raw.response.header("content-encoding") is None
    assert capture(raw, redactor()).response_body_text == '{"a": 1}'


def test_a_decoded_body_over_the_limit_is_cut_and_loses_its_partial_tail():
    head = '{"notes": "' + "x" * 970 + '", "card": "'
    body = (head + '4111111111111111"}').encode()  # the limit falls inside the card number
    raw = raw_from_entry(entry(body, "gzip", 500), max_body=1000)
    assert raw.response.decoded and raw.response.truncated and len(raw.response.body) == 1000
    ex = capture(raw, redactor(), max_body=1000)
    assert ex.response_truncated and ex.response_body_size == 500  # the wire's size, as the HAR says
    assert ex.response_body_text == head  # the cut half of the number is not kept


@pytest.mark.parametrize("wire", [-1, 60])
def test_a_json_text_under_deflate_is_not_taken_for_deflated_bytes(wire):
    # "{" (0x7B) opens a final raw-deflate block: such a text inflated to bytes without an error,
    # and the import stored that garbage instead of the answer.
    body = b'{"order": [true], "card": "4111 1111 1111 1111"}'
    ex = capture(raw_from_entry(entry(body, "deflate", wire), max_body=MAX_BODY), redactor())
    assert json.loads(ex.response_body_text) == {"order": [True], "card": ex.response_body_text[27:-2]}
    assert ex.response_body_text.startswith('{"order": [true], "card": "tillroll:card:1111:')
