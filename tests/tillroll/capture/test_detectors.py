"""The detectors' prefilter (``detectors.maybe_secret``): it may say yes to text that
holds nothing, never no to text the detectors would find something in. Nothing it turns
away is looked at again, so a wrong "no" is a secret stored in clear."""

from __future__ import annotations

import json
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.capture import detectors


def luhn_completed(digits: str) -> str:
    """*digits* with the check digit that makes them Luhn-valid."""
    return next(digits + d for d in string.digits if detectors.luhn_valid(digits + d))


CARDS = st.builds(lambda first, rest: luhn_completed(first + rest), st.sampled_from("23456"),
                  st.text(string.digits, min_size=11, max_size=17)).filter(detectors.is_card_number)
GLUE = st.text(alphabet=string.digits + " -.:_/xe@\n\t\\" + "\u0663\u00e9", max_size=12)
NUMBERISH = st.lists(st.one_of(CARDS, GLUE, st.text(string.digits, min_size=10, max_size=70)),
                     max_size=5).map("".join)
SCHEMEY = st.lists(st.one_of(st.sampled_from(["Bearer", "bAsIc", "token", "TOKEN", "to\u212aen", "_", "x"]),
                             st.text(alphabet=" \t\n\x0b\x1c\\\u00a0\u2003", min_size=1, max_size=3),
                             st.text(alphabet=string.ascii_letters + string.digits + "._~+/=-", min_size=1,
                                     max_size=20)),
                   max_size=6).map("".join)


@settings(max_examples=4000, deadline=None)
@given(text=st.one_of(NUMBERISH, SCHEMEY, st.text(alphabet=string.printable), st.text()))
def test_what_the_detectors_find_always_passes_the_prefilter(text):
    found = list(detectors.scan(text))
    if found:
        assert detectors.maybe_secret(text) and detectors.pure_maybe_secret(text), found


@settings(max_examples=3000, deadline=None)
@given(value=st.one_of(NUMBERISH, SCHEMEY), ascii_only=st.booleans())
def test_a_json_text_whose_values_hold_a_secret_passes_before_it_is_decoded(value, ascii_only):
    """``Pass.json_needs_walk`` asks the prefilter of a whole JSON text, escapes not yet
    decoded (``\\n4111…``): it must not turn away what the values would show."""
    text = json.dumps({"note": value}, ensure_ascii=ascii_only)
    if list(detectors.scan(value)):
        assert "\\u" in text or (detectors.maybe_secret(text) and detectors.pure_maybe_secret(text))


@settings(max_examples=1000, deadline=None)
@given(card=CARDS, before=GLUE, after=GLUE)
def test_a_card_number_among_other_characters_passes(card, before, after):
    spaced = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
    for text in (f"{before}{card}{after}", f"{before}{spaced}{after}", f"{before} {card}-{after}"):
        if list(detectors.scan(text)):
            assert detectors.maybe_secret(text) and detectors.pure_maybe_secret(text)
    assert detectors.maybe_secret(f"card {spaced}.") and detectors.pure_maybe_secret(f"card {spaced}.")


def test_thirteen_digits_that_are_no_card_are_not_a_candidate():
    """Hashes, ids, barcodes and epoch milliseconds hold 13+ digits and no card: the
    detectors' regex is not run over them (it cost microseconds a string)."""
    for text in ("eb5817895624273f63177de5", "x4111111111111111", "4111111111111111_", "1700000000000", "0000000000000000", "ref 9780306406157 x",
                 "order-1733580000123"):
        assert not detectors.maybe_secret(text) and not detectors.pure_maybe_secret(text)
        assert list(detectors.scan(text)) == []
    assert detectors.maybe_secret("paid with 4111 1111 1111 1111 today")
    assert detectors.maybe_secret("9" * (detectors.LONGEST_RUN_CHECKED + 1))  # too long to look at: a candidate


def test_a_scheme_word_without_a_blank_after_it_is_not_a_candidate():
    """``transaction_token`` is a member's name, not a bearer token."""
    assert not detectors.maybe_secret("transaction_token") and not detectors.pure_maybe_secret("transaction_token")
    for text in ("Authorization: Bearer abcdefghijklmnop", "token\tabcdefghijklmnop", 'x token\\tabcdefghijkl"'):
        assert detectors.maybe_secret(text) and detectors.pure_maybe_secret(text)


def test_digits_of_other_scripts_count_as_the_card_detector_counts_them():
    """The card detector's ``\\d`` takes Arabic-Indic digits too: a run that mixes them in
    passes the prefilter (it did not while only ASCII digits were counted)."""
    text = "22529291189\u066361"
    assert list(detectors.scan(text)) and detectors.maybe_secret(text) and detectors.pure_maybe_secret(text)
