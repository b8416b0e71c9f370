"""Value detectors: secrets recognised by what they look like, whatever their field.

Each detector finds spans in a string. They run on every string tillroll stores (JSON
leaves, header and query values, path segments, free text), so they are cheap: one
combined regex pass, and the Luhn check only on digit runs of card length.
"""

from __future__ import annotations

import re
from typing import Iterator

# Ordered by priority: an earlier kind wins when spans overlap.
_PATTERNS = [
    ("private-key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ("bearer", r"\b(?i:bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{12,}"),
    ("card", r"(?<![\w.])\d(?:[ -]?\d){12,18}(?![\w.])"),
]
_COMBINED = re.compile("|".join(f"(?P<{kind.replace('-', '_')}>{rx})" for kind, rx in _PATTERNS))
# Cheap pre-filter: nothing can match without one of these.
_MAYBE = re.compile(r"\d{4}|eyJ|-----BEGIN|(?i:bearer|basic|token)\s")


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
    if len(text) < 13 or not _MAYBE.search(text):
        return
    for m in _COMBINED.finditer(text):
        kind = m.lastgroup.replace("_", "-")
        if kind == "card":
            digits = re.sub(r"[ -]", "", m.group())
            if not (13 <= len(digits) <= 19 and luhn_valid(digits)) or len(set(digits)) == 1:
                continue
        yield kind, m.start(), m.end()


def has_secret(text: str) -> bool:
    return next(find_secrets(text), None) is not None
