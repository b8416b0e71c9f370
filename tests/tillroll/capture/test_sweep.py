"""The sweep's check (Sweep.needed) finds every form of every remembered value, and the
sweep removes them; searching for all of them at once answers as value by value does."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from urllib.parse import quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.samples import exchange, redactor
from tillroll.capture import capture
from tillroll.capture import sweep as sweep_module
from tillroll.capture.sweep import Sweep, stands_in

_MIN = 6


def _needed_by_every_form(seen: dict[str, str], text: str) -> bool:
    """The check as it was written first: every form of every value searched."""
    return any(len(value) >= _MIN and stands_in(value, text) for value in seen)


values = st.text(st.sampled_from("aZ09 +-_.~/@\"\\\n%&=éß€\u2028:"), min_size=1, max_size=14)
filler = st.text(st.sampled_from("abcXYZ0189 \"\\{}[]:,%+\n"), max_size=30)


@st.composite
def seen_and_text(draw):
    seen = {v: "tillroll:x:1" for v in draw(st.lists(values, min_size=1, max_size=5))}
    parts = [draw(filler)]
    for value in seen:
        form = draw(st.sampled_from(["absent", "as-is", "json", "url", "newline", "cut"]))
        if form == "as-is":
            parts.append(value)
        elif form == "json":
            parts.append(json.dumps(value)[1:-1])
        elif form == "url":
            parts.append(quote_plus(value))
        elif form == "newline":
            parts.append(json.dumps(value)[1:-1].replace("\\n", "\n"))
        elif form == "cut":
            parts.append(value[: len(value) // 2])
        parts.append(draw(filler))
    return seen, "".join(parts)


@settings(max_examples=600, deadline=None)
@given(seen_and_text(), st.sampled_from([0, 600]), st.sampled_from(["a", "é", "€", "😀"]))
def test_the_quick_check_answers_as_searching_every_form_does(case, padding, pad):
    seen, text = case
    text += pad * padding  # long texts: where the compiled path filters by pairs of characters first
    sweep = Sweep()
    for value, replacement in seen.items():
        sweep.remember(value, replacement)
    assert sweep.needed(text) == _needed_by_every_form(seen, text)
    if sweep.sweep(text) != text:  # what the sweep would change, the check never misses
        assert sweep.needed(text)


def test_a_value_is_found_in_each_of_its_forms():
    value = 'Zoë "Q" O\'Neil & co\n2nd'
    for form in (value, json.dumps(value)[1:-1], quote_plus(value), json.dumps(value)[1:-1].replace("\\n", "\n")):
        sweep = Sweep()
        sweep.remember(value, "tillroll:name:1")
        assert sweep.needed(f'{{"note": "{form}"}}'), form
    sweep = Sweep()
    sweep.remember(value, "tillroll:name:1")
    assert not sweep.needed('{"note": "Zoe Q ONeil and co"}')


@contextlib.contextmanager
def _searched(by_one_scan: bool, word_chars: int = 64):
    """Every text searched for all values at once (Aho-Corasick, forms longer than
    *word_chars* found by their start, then whole), or value by value."""
    kept = sweep_module._ONE_SCAN_FROM, sweep_module._WORD_CHARS
    sweep_module._ONE_SCAN_FROM = 0 if by_one_scan else 1 << 62
    sweep_module._WORD_CHARS = word_chars
    try:
        yield
    finally:
        sweep_module._ONE_SCAN_FROM, sweep_module._WORD_CHARS = kept


def _remembering(seen: dict[str, str]) -> Sweep:
    sweep = Sweep()
    for value, replacement in seen.items():
        sweep.remember(value, replacement)
    return sweep


@settings(max_examples=600, deadline=None)
@given(seen_and_text(), st.data())
def test_one_scan_for_every_value_answers_and_sweeps_as_searching_value_by_value(case, data):
    seen, text = case
    # replacements of their own, some holding another value or a part of one (a replacement
    # can make another value stand where it did not)
    values = list(seen)
    seen = {v: data.draw(st.sampled_from([f"tillroll:x:{i}", f"[{v[:3]}]", "x", *(f"<{w}>" for w in values)]))
            for i, v in enumerate(values)}
    with _searched(by_one_scan=False):
        want = (_remembering(seen).needed(text), _remembering(seen).sweep(text))
    with _searched(by_one_scan=True, word_chars=data.draw(st.sampled_from([1, 3, 64]))):
        got = (_remembering(seen).needed(text), _remembering(seen).sweep(text))
    assert got == want and want[0] == _needed_by_every_form(seen, text)


def _customers(n: int, leaked_every: int) -> bytes:
    """An answer listing *n* customers; every *leaked_every*-th name also in a free-text label."""
    return json.dumps({"customers": [
        {"id": i, "customer": {"name": f"Person{i} Roe", "email": f"p{i}@example.com", "phone": f"+1 555 {i:07d}"},
         "label": f"Person{i} Roe" if leaked_every and i % leaked_every == 0 else "regular"}
        for i in range(n)]}).encode()


@pytest.mark.parametrize("leaked_every", [0, 7])
def test_a_long_list_of_customers_is_stored_the_same_searched_at_once_and_leaks_nothing(leaked_every):
    raw = exchange("GET", "api.example.com", "/v1/customers", response=_customers(400, leaked_every))
    stored = []
    for by_one_scan in (False, True):
        with _searched(by_one_scan):
            stored.append(dataclasses.asdict(capture(raw, redactor())))
    assert stored[0] == stored[1]
    text = stored[1]["response_body_text"]
    assert "Person" not in text and "@example.com" not in text and "+1 555" not in text
    assert any(rule == "sweep" for _, rule in stored[1]["redactions"]) == bool(leaked_every)


def _word_as_first_written(form: str) -> re.Pattern:
    """The definition: *form*, with no letter or digit glued to a side where it has one."""
    head = r"(?<![A-Za-z0-9])" if form[:1].isalnum() else ""
    tail = r"(?![A-Za-z0-9])" if form[-1:].isalnum() else ""
    return re.compile(head + re.escape(form) + tail)


@settings(max_examples=500, deadline=None)
@given(form=values | st.text(st.sampled_from("aZ09 _-.é"), min_size=15, max_size=40), around=st.lists(st.text(st.sampled_from("aZ09 _-.é\n\""), max_size=3), min_size=1, max_size=6),
       again=st.booleans())
def test_a_value_is_replaced_where_it_stands_on_its_own_as_first_defined(form, around, again):
    text = form.join(around) + (form + form if again else "")  # next to itself, to other words, at the ends
    assert sweep_module._word(form).sub("<R>", text) == _word_as_first_written(form).sub("<R>", text)
