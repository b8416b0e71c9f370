"""What the vendor profiles read of a JSON body, built without parsing it
(``tillroll.capture._outline``): the parse pruned to the profiles' declarations, or
UNSURE (and the standard parse decides); and each profile reads only what it declares.

Skipped, and reported, when the extension is not built or TILLROLL_NO_EXTENSIONS is set."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.capture import jsonish, native, pipeline
from tillroll.capture.vendors import BY_NAME, PROFILES, REQUEST_READS
from tillroll.capture.vendors.base import (
    NOT_JSON,
    RequestView,
    merge_reads,
)

pytestmark = pytest.mark.skipif(native.ext is None, reason=native.describe())

SAMPLES = Path(__file__).parents[2] / "fixtures" / "vendor_samples"
RESPONSE_READS = merge_reads(*(p.outcome_reads for p in BY_NAME.values()))


def outline(text: str, reads: dict):
    return native.outline_ext.outline(text, reads)


def pruned(value, reads):
    """The reference: the parsed *value* with only what *reads* declares."""
    return jsonish.pruned(value, reads)


# keys the declarations name, mixed with others, so that declared paths are met at every level
KEYS = st.sampled_from(["RequestType", "Parameters", "Body", "outHTTP", "body", "action_type", "headers",
                        "merchant_data", "error", "Message", "rewards_data", "declined_rewards", "card_number",
                        "a", "b", "café"]) | st.text(string.ascii_letters, max_size=4)
LEAVES = (st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats(allow_nan=False, allow_infinity=False)
          | st.text(max_size=6) | st.text(alphabet="aé\"\\\n\t\u0001/", max_size=6))
VALUES = st.recursive(LEAVES, lambda c: st.lists(c, max_size=3) | st.dictionaries(KEYS, c, max_size=4), max_leaves=20)
READS = st.sampled_from([REQUEST_READS, RESPONSE_READS, *(p.reads for p in PROFILES), {}])


def _written(value, style: int) -> str:
    if style == 0:
        return json.dumps(value, ensure_ascii=False)
    if style == 1:
        return json.dumps(value, indent=2)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@settings(max_examples=3000, deadline=None)
@given(value=st.dictionaries(KEYS, VALUES, max_size=5) | st.lists(VALUES, max_size=3), style=st.integers(0, 2),
       reads=READS)
def test_a_written_json_text_is_read_as_the_parse_pruned_to_the_declaration(value, style, reads):
    text = _written(value, style)
    got = outline(text, reads)
    if got is native.outline_ext.UNSURE:  # only wider text, escapes, numbers near a float's limit
        assert not _latin1(text) or "\\" in text or re.search(r"e\+\d{3}", text)
        return
    parsed, strict = jsonish.parse(text)
    assert strict and got == pruned(parsed, reads)


def _latin1(text: str) -> bool:
    return all(ord(c) < 256 for c in text)


# Fragments that make texts odd: cut, repaired, not finite, too big, escaped keys, raw controls.
ODD = st.sampled_from(['{"a": NaN}', '[Infinity]', '[-Infinity]', '{"a": 1e400}', '[1' + '0' * 400 + ']',
                       '{"a": 1,}', '[1,]', '{"a" 1}', '{"Request\\u0054ype": "X"}', '{"a": "x\ty"}', '[01]',
                       '[1.]', '[.5]', '[1e]', '[-]', '{"a": tru}', '["\\x"]', '["\\u12"]', '{"a": "é"}',
                       '"scalar"', '12', 'null', '{"a": [1, 2}', '{"a": 1}}', '{"a": 1} x', '[1e99]', '[-0.0e-99]',
                       '{"RequestType": "A", "RequestType": "B"}', '{"outHTTP": {"body": [1], "body": {"action_type": 2}}}',
                       "[" * 101 + "]" * 101, "[" * 100 + "]" * 100, '{"a": "\U0001f600"}', '{"\\"": 1}'])


@settings(max_examples=3000, deadline=None)
@given(parts=st.lists(ODD | st.sampled_from(["{", "}", "[", "]", ",", ":", '"RequestType"', '"x"', "1", " "]),
                      min_size=1, max_size=8), reads=READS)
def test_an_odd_text_is_read_as_the_parse_pruned_or_left_to_the_parse(parts, reads):
    text = "".join(parts)
    stripped = text.strip()
    got = outline(stripped, reads) if stripped else native.outline_ext.UNSURE
    parsed, strict = jsonish.parse(text)
    if got is not native.outline_ext.UNSURE:  # never accepts what the parse refuses or repairs
        assert strict and got == pruned(parsed, reads)
    assert jsonish.parse_reading(text, reads)[1] == strict


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": 1e400}', '[1' + '0' * 400 + ']', '{"a": 1,}',
                                  '{"Request\\u0054ype": "X"}', '{"a": "x\ty"}', "[" * 101 + "]" * 101,
                                  '{"a": "\U0001f600"}', '"scalar"', '{"a": 1} x'])
def test_what_the_outline_is_not_sure_of_goes_to_the_parse(text):
    assert outline(text, REQUEST_READS) is native.outline_ext.UNSURE
    assert jsonish.parse_reading(text, REQUEST_READS) == jsonish.parse(text)


def test_a_key_named_twice_is_read_as_the_parse_keeps_it():
    text = '{"RequestType": "A", "Parameters": [1], "RequestType": "B", "Parameters": {"x": 1}}'
    assert outline(text, REQUEST_READS) == {"RequestType": "B", "Parameters": {}} == pruned(json.loads(text),
                                                                                           REQUEST_READS)


def test_nothing_undeclared_is_built():
    text = json.dumps({"RequestType": "GetCustomer", "SessionID": "s" * 40, "Parameters": {"CustomerID": 7},
                       "unread": list(range(50))})
    assert outline(text, BY_NAME["spot"].reads) == {"RequestType": "GetCustomer", "Parameters": {}}


def _sample_texts(kind: str) -> list[tuple[str, str]]:
    manifest = json.loads((SAMPLES / "manifest.json").read_text())
    return [(entry["vendor"], (SAMPLES / entry["file"]).read_text(encoding="utf-8"))
            for entry in manifest if entry["kind"] == kind]


def _view(text: str, json_value) -> RequestView:
    return RequestView(method="POST", host="api.example", path="/q", query=[], headers=[],
                       content_type="application/json", json=json_value, text=text)


def test_every_profile_understands_every_vendor_request_sample_through_its_declaration():
    """Recognition and decoding on what the outline builds are those on the whole parse (the
    parameters found at the same place in the body, the envelope's members the same)."""
    read = 0
    for _vendor, text in _sample_texts("request"):
        whole, _ = jsonish.parse(text)
        got = outline(text.strip(), REQUEST_READS)
        if got is native.outline_ext.UNSURE:
            continue
        read += 1
        for profile in [*PROFILES, BY_NAME["generic"]]:
            full, part = _view(text, whole), _view(text, got)
            assert profile.recognise(part) == profile.recognise(full), profile.name
            a, b = profile.decode(full), profile.decode(part)
            assert (a.api, a.operation, a.params_encoding, a.path_template, a.params_beside) == (
                b.api, b.operation, b.params_encoding, b.path_template, b.params_beside), profile.name
            assert (a.params is whole) == (b.params is got)
            assert pipeline._path_to(whole, a.params) == pipeline._path_to(got, b.params), profile.name
    assert read >= 10  # the samples are read by the outline, not all left to the parse


def test_every_profile_judges_every_vendor_response_sample_through_its_declaration():
    read = 0
    for _vendor, text in _sample_texts("response"):
        whole, _ = jsonish.parse(text)
        for profile in BY_NAME.values():
            got = outline(text.strip(), profile.outcome_reads)
            if got is native.outline_ext.UNSURE:
                continue
            read += 1
            for status in (200, 400, 500, None):
                assert profile.outcome(status, got, "boom") == profile.outcome(status, whole, "boom"), profile.name
    assert read >= 40


def test_an_xgl_answer_with_declines_is_partial_through_the_declaration():
    body = json.dumps({"merchant_data": {"response_name": "Success", "response_code": 200},
                       "rewards_data": {"declined_rewards": [{"error": {"error_code": 7, "error_message": "x"}}],
                                        "other": [1] * 20}, "declined_balance": [{"error_code": 3}],
                       "customer": {"email": "a@b.c"}})
    xgl = BY_NAME["xgl"]
    got = outline(body, xgl.outcome_reads)
    assert "customer" not in got and got["rewards_data"] == {"declined_rewards": [{"error": {"error_code": 7,
                                                                                              "error_message": "x"}}]}
    assert xgl.outcome(200, got, None) == xgl.outcome(200, json.loads(body), None) == ("partial", "3; 7: x")


def test_every_profile_declares_what_it_reads():
    """A profile that declares nothing makes every body parsed whole: the built-in ones declare."""
    assert REQUEST_READS is not None
    assert all(p.reads is not None and p.outcome_reads is not None for p in BY_NAME.values())


def test_a_body_not_json_is_not_json_to_either_path():
    assert jsonish.parse_reading("<xml/>", REQUEST_READS) == (NOT_JSON, False)
