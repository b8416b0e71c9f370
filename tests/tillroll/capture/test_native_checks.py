"""The compiled checks over a whole record (the storable text check, the sweep's needles)
answer as their pure definitions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.capture import native, pipeline, sweep
from tillroll.store.exchange import Exchange

pytestmark = pytest.mark.skipif(native.ext is None, reason=native.describe())

TEXTS = st.one_of(st.none(), st.text(max_size=8), st.text(alphabet=string.printable, max_size=8),
                  st.sampled_from(["\ud800", "caf\u00e9", "\U0001f600", "plain"]))


@settings(max_examples=1000, deadline=None)
@given(values=st.lists(TEXTS, min_size=len(pipeline._TEXT_FIELDS), max_size=len(pipeline._TEXT_FIELDS)))
def test_the_non_ascii_fields_are_the_pure_ones(values):
    ex = Exchange(method="GET", scheme="https", host="h", port=443, path="/", started_at=dt.datetime(2026, 1, 1))
    ex = dataclasses.replace(ex, **{name: value for name, value in zip(pipeline._TEXT_FIELDS, values)
                                    if name not in ("method", "scheme", "host", "path") or value is not None})
    pure_fields, _ = pipeline.pure_storable_checks
    assert list(native.record_ext.non_ascii_fields(ex, pipeline._TEXT_FIELDS)) == pure_fields(ex, pipeline._TEXT_FIELDS)


@settings(max_examples=1000, deadline=None)
@given(pairs=st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)) | st.lists(st.text(max_size=3), min_size=2,
                                                                                    max_size=2), max_size=5))
def test_ascii_pairs_answers_as_the_pure_one(pairs):
    _, pure_pairs = pipeline.pure_storable_checks
    assert native.record_ext.ascii_pairs(pairs) == pure_pairs(pairs)


VALUES = st.one_of(st.text(max_size=20), st.text(alphabet=string.ascii_letters + string.digits + "._~- @+/\u00e9\n",
                                                 max_size=20))


@settings(max_examples=3000, deadline=None)
@given(value=VALUES)
def test_the_compiled_needle_is_the_pure_one(value):
    assert native.record_ext.needle(value) == sweep._needle(value)


@settings(max_examples=2000, deadline=None)
@given(text=st.text(alphabet=string.ascii_letters[:6] + string.digits[:4] + " %+\\\"\n", max_size=80),
       values=st.lists(VALUES, max_size=6))
def test_the_sweep_sees_a_value_where_the_pure_search_does(text, values):
    """Whether a sweep is needed: the compiled candidates then ``stands_in`` give the answer
    of searching every value, every form."""
    found = [v for v in values if len(v) >= 6 and sweep.stands_in(v, text)]
    candidates = native.record_ext.sweep_candidates(text, values, 6)
    assert set(found) <= set(candidates)  # never rules out a value that stands in the text
    s = sweep.Sweep()
    for v in values:
        s.remember(v, "tillroll:x:0123456789ab")
    assert s.needed(text) == bool(found)


# -- which walk reads a body, and when the key reader falls back --------------------------------

def _captured(body: str):
    from tests.samples import exchange, redactor
    from tillroll.capture import capture_keyed
    r = redactor()
    ex = capture_keyed(exchange("POST", "api.mydrycleaner.com", "/q", body=body.encode("utf-8")), r)
    return r, ex


def test_a_one_byte_body_is_read_as_bytes_through_the_key_table():
    r, ex = _captured('{"SessionID": "s-123456789", "Parameters": {"Email": "ann@example.com", "Note": "caf\u00e9"}}')
    names = {len(table) for table in r.key_tables.values()}
    assert names and max(names) >= 4  # the byte walk judged the body's names once, into its table
    assert "ann@example.com" not in ex.request_body_text and "s-123456789" not in ex.request_body_text


def test_a_wider_body_takes_the_walk_over_str_and_is_redacted_the_same():
    r, ex = _captured('{"SessionID": "s-123456789", "Parameters": {"Email": "ann@example.com", "Note": "\u20ac5"}}')
    assert all(len(table) == 0 for table in r.key_tables.values())  # not through the byte walk
    assert "ann@example.com" not in ex.request_body_text and "s-123456789" not in ex.request_body_text
    assert "\u20ac5" in ex.request_body_text


def test_the_key_reader_leaves_a_text_it_is_not_sure_of_to_the_document():
    from tillroll.capture import match_doc
    from tests.samples import redactor
    r = redactor()
    rule_for, skipped, table = match_doc._judged(r, match_doc.BY_NAME["spot"])
    for text in ('{"a": 1, "a": 2}', '{"a": NaN}', '{"a": 1e999}', '[' * 150 + ']' * 150, '{"a": 1',
                 '{"a": "\\x"}', '{"a": 01}'):
        assert native.reader_ext.clean_canonical(text, rule_for, frozenset(), skipped, table) is None
