"""Generated hostile exchanges thrown at ``capture()``: it always returns a record, the
record can be written, and it holds no planted secret.

Bounded: a fixed number of examples, each small enough to run in milliseconds (deep
nesting and large inflation are covered by the named cases in test_hostile_bodies.py).
"""

from __future__ import annotations

import gzip
import json
import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import string

from tests.canaries import leaks
from tests.samples import exchange, redactor
from tillroll.capture import capture
from tillroll.store.exchange import to_record_batch

HOSTS = ["spot.xplorspot.example", "api.spoonity.com", "api.spoton.com", "xgl.xenial.example", "pos.example"]
PATHS = ["/API/Server.dll", "/order/process", "/v1/export", "/loyalty/customers", "/q"]
ALPHANUMERIC = string.ascii_letters + string.digits


def luhn(rnd) -> str:
    digits = [4] + [rnd.randrange(10) for _ in range(14)]
    total = sum((d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 == 0 else d for i, d in enumerate(reversed(digits)))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


SECRET_FIELDS = ["password", "SecurityID", "api_key", "SessionID", "x-api-key", "pin"]


def planted(secret_field: str, canary: str, card: str, shape: str) -> str:
    """JSON-ish text with *canary* under a secret field and *card* as a bare value, in a
    hostile *shape*."""
    core = f'"{secret_field}": "{canary}", "note": "{card}"'
    return {
        "plain": "{" + core + "}",
        "duplicate": "{" + core + f', "{secret_field}": "x", "note": "y"' + "}",
        "deep": "[" * 300 + "{" + core + "}" + "]" * 300,
        "surrogate": "{" + core + ', "odd": "\\ud800\\udfff\\udc00"}',
        "nan": "{" + core + ', "n": NaN, "big": 1e99999, "neg": -Infinity}',
        "unclosed": "{" + core + ', "more": [1, 2, {"a": ',
        "trailing-comma": "{" + core + ",}",
        "single-quotes": "{" + core.replace('"', "'") + "}",
        "comments": "{ // the POS writes these\n" + core + "}",
        "form": f"{secret_field}={canary}&note={card}",
    }[shape]


@st.composite
def hostile_exchanges(draw):
    field = draw(st.sampled_from(SECRET_FIELDS))
    rnd = draw(st.randoms(use_true_random=False))  # canaries from hypothesis' own randomness: replayable
    canaries = {"secret": "CAN" + "".join(rnd.choice(ALPHANUMERIC) for _ in range(24)), "card": luhn(rnd)}
    shape = draw(st.sampled_from(["plain", "duplicate", "deep", "surrogate", "nan", "unclosed", "trailing-comma",
                                  "single-quotes", "comments",
                                  "form"]))
    text = planted(field, canaries["secret"], canaries["card"], shape)
    body = text.encode("utf-8", "surrogatepass")
    noise = draw(st.binary(max_size=40))
    # between tokens (noise inside a field's name would make it another field)
    where = draw(st.sampled_from([0, len(body)] + [i + 2 for i in range(len(body)) if body[i:i + 2] == b", "]))
    if draw(st.booleans()):  # invalid UTF-8 or random bytes spliced in
        body = body[:where] + b"\n" + noise + b"\n" + body[where:]  # apart from the values: noise glued
        # to a card's digits would make it another number, and no detector could know
    coding = draw(st.sampled_from([None, "gzip", "deflate", "gzip-lie", "br-lie", "unknown"]))
    headers = [("Content-Type", draw(st.sampled_from(["application/json", "text/plain",
                                                      "application/x-www-form-urlencoded", "application/octet-stream"])))]
    if coding == "gzip":
        body = gzip.compress(body)
    elif coding == "deflate":
        body = zlib.compress(body)
    if coding:
        headers.append(("Content-Encoding", {"gzip-lie": "gzip", "br-lie": "br", "unknown": "x-what"}.get(coding, coding)))
    truncated = draw(st.booleans())
    if truncated:  # cut, as an adapter with a size limit cuts it
        body = body[:draw(st.integers(1, max(1, len(body))))]
    header_value = draw(st.text(max_size=20))  # any code point, lone surrogates included
    host, path = draw(st.sampled_from(HOSTS)), draw(st.sampled_from(PATHS))
    query = draw(st.sampled_from(["", f"{field}={canaries['secret']}", "x=%ED%A0%80", "q=\udcff"]))
    in_request = draw(st.booleans())
    raw = exchange("POST", host, path, query=query, body=body if in_request else b'{"ok": 1}',
                   headers=headers + [("X-Odd", header_value)],
                   response=b'{"ok": 1}' if in_request else body, response_headers=headers)
    if truncated:
        (raw.request if in_request else raw.response).truncated = True
    return raw, canaries


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hostile_exchanges())
def test_capture_never_raises_and_keeps_no_planted_secret(case):
    raw, canaries = case
    ex = capture(raw, redactor())  # never raises
    assert ex.method == "POST" and ex.path  # the exchange is recorded, whatever its body
    batch = to_record_batch([ex])  # and can be written (Arrow refuses text that is not UTF-8)
    stored = json.dumps(batch.to_pylist(), default=repr, ensure_ascii=False).encode()
    stored += (ex.request_body or b"") + (ex.response_body or b"")
    assert leaks(stored, canaries) == []
