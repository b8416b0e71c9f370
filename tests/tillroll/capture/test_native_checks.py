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
    assert list(native.ext.non_ascii_fields(ex, pipeline._TEXT_FIELDS)) == pure_fields(ex, pipeline._TEXT_FIELDS)


@settings(max_examples=1000, deadline=None)
@given(pairs=st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)) | st.lists(st.text(max_size=3), min_size=2,
                                                                                    max_size=2), max_size=5))
def test_ascii_pairs_answers_as_the_pure_one(pairs):
    _, pure_pairs = pipeline.pure_storable_checks
    assert native.ext.ascii_pairs(pairs) == pure_pairs(pairs)


VALUES = st.one_of(st.text(max_size=20), st.text(alphabet=string.ascii_letters + string.digits + "._~- @+/\u00e9\n",
                                                 max_size=20))


@settings(max_examples=3000, deadline=None)
@given(value=VALUES)
def test_the_compiled_needle_is_the_pure_one(value):
    assert native.ext.needle(value) == sweep._needle(value)


@settings(max_examples=2000, deadline=None)
@given(text=st.text(alphabet=string.ascii_letters[:6] + string.digits[:4] + " %+\\\"\n", max_size=80),
       values=st.lists(VALUES, max_size=6))
def test_the_sweep_sees_a_value_where_the_pure_search_does(text, values):
    """Whether a sweep is needed: the compiled candidates then ``stands_in`` give the answer
    of searching every value, every form."""
    found = [v for v in values if len(v) >= 6 and sweep.stands_in(v, text)]
    candidates = native.ext.sweep_candidates(text, values, 6)
    assert set(found) <= set(candidates)  # never rules out a value that stands in the text
    s = sweep.Sweep()
    for v in values:
        s.remember(v, "tillroll:x:0123456789ab")
    assert s.needed(text) == bool(found)
