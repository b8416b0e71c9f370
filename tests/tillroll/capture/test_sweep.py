"""The sweep's check (Sweep.needed) finds every form of every remembered value."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

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
