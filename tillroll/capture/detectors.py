"""Value detectors: secrets (and email addresses) recognised by what they look like,
whatever their field.

Each detector finds spans in a string. They run on every string tillroll stores (JSON
leaves, header and query values, path segments, free text), so they are cheap: one
combined regex pass, and the Luhn check only on digit runs of card length.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Iterator

from . import native

# Ordered by priority: an earlier kind wins when spans overlap.
_PATTERNS = [
    ("private-key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ("bearer", r"\b(?i:bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{12,}"),
    ("email", r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    ("card", r"(?<!\w)(?<!\d\.)\d(?:[ -]?\d){12,18}(?!\w|\.\d)"),  # not part of a decimal number
]
_COMBINED = re.compile("|".join(f"(?P<{kind.replace('-', '_')}>{rx})" for kind, rx in _PATTERNS))
MIN_LENGTH = 6  # nothing shorter can hold a detectable secret (a@b.co)
_DIGITS = bytes.maketrans(b"0123456789", b"0000000000")
_THIRTEEN = b"0" * 13
# 13+ digits, spaces and dashes between them (the rest of a run as one class: a hostile run
# of megabytes is read at the regex engine's fastest, not a group at a time)
_DIGIT_RUNS = re.compile(r"[0-9](?:[ -]*[0-9]){12}[0-9 -]*")
_ANY_DIGIT_RUN = re.compile(r"\d(?:[ -]*\d){12}")  # the same in any script (text that is not ASCII)
_SCHEME_WORDS = ("bearer", "basic", "token")  # the bearer detector's words (_scheme_then_blank)
LONGEST_RUN_CHECKED = 64  # digits of one run looked at window by window (a longer run: asked of the detectors)
# How Base64 of a JSON object or array begins ({"  { {\n {}  [" [{ [0 [t [f [[ ...): such a
# value may carry secrets inside, so it is decoded and walked wherever it stands.
BASE64_JSON_STARTS = frozenset({"ey", "ew", "e3", "Wy", "Ww", "W3", "Wz", "W2", "W1"})


def maybe_secret(text: str) -> bool:  # replaced by the compiled one below, when built
    """A cheap test that :func:`find_secrets` may find something: substring tests and two
    simple patterns, never the detectors' backtracking regex (100+ µs on a 3 KB body here).
    A card needs 13+ digits once spaces and dashes are dropped (a date or a phone does
    not), and in ASCII text a window of them that is a card number (:func:`may_hold_card`);
    a bearer token needs its scheme's word followed by a blank ("transaction_token" is a name)."""
    if "@" in text:
        return True
    if len(text) < 13:  # too short for a card, a JWT, a key or a bearer token
        return False
    if "eyJ" in text or "-----BEGIN" in text or text[:2] in BASE64_JSON_STARTS:
        return True
    lower = text.lower()
    if ("bearer" in lower or "basic" in lower or "token" in lower) and _scheme_then_blank(lower):
        return True
    if not text.isascii():  # the card detector's \\d takes the digits of every script
        return _ANY_DIGIT_RUN.search(text) is not None
    if _THIRTEEN not in text.encode("ascii").translate(_DIGITS, b" -"):
        return False
    return any(may_hold_card(text, run.start(), run.end()) for run in _DIGIT_RUNS.finditer(text))


def _scheme_then_blank(lower: str) -> bool:
    """Whether "bearer", "basic" or "token" stands in the lowercased text *lower* with a blank
    (the bearer detector's ``\\s``) or a backslash (in JSON text not yet decoded, a blank may
    still be an escape: ``token\\t…``) right after it. ``str.find`` from word to word: a
    case-blind pattern over the whole text cost a pass of the regex engine over 8 KB bodies."""
    for word in _SCHEME_WORDS:
        at = lower.find(word)
        while at >= 0:
            after = at + len(word)
            if after < len(lower) and (lower[after].isspace() or lower[after] == "\\"):
                return True
            at = lower.find(word, after)
    return False


def may_hold_card(text: str, start: int, end: int) -> bool:
    """Whether the run of 13 or more ASCII digits at ``text[start:end]`` (spaces and dashes
    between them allowed) holds a card number the card detector would take: a window of
    13-19 of its digits that :func:`is_card_number` accepts, with no word character
    right before it or right after it (the detector's ``(?<!\\w)`` and ``(?!\\w)``; a
    letter after a backslash counts as a blank: ``\\n4111…`` in JSON text not yet
    decoded). A hash, an id or a barcode of 13+ digits usually holds none, and then the
    detectors are not asked (their regex costs microseconds a string). A run of more
    than :data:`LONGEST_RUN_CHECKED` digits is a candidate without looking."""
    run = text[start:end].rstrip(" -")
    if run.isdigit() and (start == 0 or text[start - 1] != "\\"):
        # no blank inside and no backslash before: a window opens only at its first digit, closes at its last
        if len(run) > LONGEST_RUN_CHECKED:
            return True
        return _opens(text, start) and _closes(text, start + len(run) - 1) and is_card_number(run)
    # where its digits stand, the first LONGEST_RUN_CHECKED + 1 only (a hostile run is megabytes long)
    at = list(islice((i for i in range(start, end) if text[i].isdigit()), LONGEST_RUN_CHECKED + 1))
    if len(at) > LONGEST_RUN_CHECKED:
        return True
    digits = "".join(text[i] for i in at)
    firsts = [k for k, i in enumerate(at) if digits[k] in "23456" and _opens(text, i)]
    lasts = [k for k, i in enumerate(at) if _closes(text, i)]
    return any(12 <= last - first <= 18 and is_card_number(digits[first:last + 1]) for first in firsts for last in lasts)


def _opens(text: str, i: int) -> bool:
    """Whether a card number may start at the digit ``text[i]``: no word character before it
    (a letter after a backslash counts as a blank: ``\\n4111…`` in JSON text not yet decoded)."""
    return i == 0 or not _is_word(text[i - 1]) or (i >= 2 and text[i - 2] == "\\")


def _closes(text: str, i: int) -> bool:
    """Whether a card number may end at the digit ``text[i]``: no word character after it."""
    return i + 1 == len(text) or not _is_word(text[i + 1])


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # ASCII text here: \w


def luhn_valid(digits: str) -> bool:
    total, double = 0, False
    for ch in reversed(digits):
        d = ord(ch) - 48
        if double:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
        double = not double
    return total % 10 == 0


def find_secrets(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(kind, start, end)`` for every detected secret in *text*."""
    if len(text) < MIN_LENGTH or not maybe_secret(text):
        return iter(())
    return scan(text)


def scan(text: str) -> Iterator[tuple[str, int, int]]:
    """:func:`find_secrets` without the prefilter, for callers that already ran it."""
    for m in _COMBINED.finditer(text):
        kind = m.lastgroup.replace("_", "-")
        if kind == "card" and not is_card_number(m.group()):
            continue
        yield kind, m.start(), m.end()


def is_card_number(text: str) -> bool:
    """Luhn-valid, of a payment card's length, with a payment card's leading digit.

    The leading digit (2-6: Mastercard, Amex, Visa, Discover, JCB, UnionPay…) keeps
    13-digit epoch-millisecond timestamps, which start with 1, from passing as cards.
    """
    digits = text.replace(" ", "").replace("-", "")
    if not 13 <= len(digits) <= 19 or digits[0] not in "23456" or len(set(digits)) == 1:
        return False
    if len(digits) == 13 and digits[0] != "4":  # only old Visa numbers have 13 digits
        return False
    return luhn_valid(digits)


def has_secret(text: str) -> bool:
    return next(find_secrets(text), None) is not None


pure_maybe_secret = maybe_secret  # the oracle, and the compiled path's fallback for non-ASCII text
if native.ext is not None:
    native.ext.configure_detectors(pure_maybe_secret)
    maybe_secret = native.ext.maybe_secret  # noqa: F811
