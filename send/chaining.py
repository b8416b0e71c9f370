"""Chaining by itself: values an answer handed out and later requests carried (pure).

A POS day is a conversation: SPOT's ``GetToken`` answers a ``SessionID`` that every later
request carries, ``Login`` answers a new one; Spoonity answers a ``reference_number`` that
the void sends back as ``receipt``; SpotOn lists records whose ``id`` the next request
names in its path. Sent again to a live API, those requests must carry what the *live*
answers handed out, not what was recorded.

:func:`find_bindings` finds them from the cassette alone, with no template:

* a keyed pseudonym (``tillroll:sessionid:3f9a…``) whose digest shows up first in an
  answer, at some place, and later in requests: the live answer at the same place gives
  the value (the digest, not the label, identifies the value: a ``tillroll:emailaddress``
  and a ``tillroll:email`` with one digest are one value);
* a clear value handed out first by an answer, only when it is long and distinctive
  enough not to collide by chance (:func:`distinctive`) and later requests carry it whole
  (a JSON string, a path segment, a query value).

A value that a request carried before any answer did is the POS's own (a password, a
phone number typed in), never a binding.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from .plan import TOKEN, Planned, digest_of, leaves, slots

Path = tuple[Any, ...]
MIN_CLEAR = 8  # characters of a clear value before it can be a binding
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


@dataclass
class Binding:
    """A value answer *source* handed out at *path*, that requests *users* carried."""

    source: int  # index of the planned request whose answer hands the value out
    path: Path  # where in that answer's JSON
    recorded: str  # the recorded value: a pseudonym's digest, or the clear text
    keyed: bool  # True: a pseudonym (matched by digest); False: a clear value
    users: list[int] = field(default_factory=list)

    @property
    def where(self) -> str:
        return format_path(self.path)


def find_bindings(plans: list[Planned]) -> list[Binding]:
    """Every binding of *plans*, in the order their values were handed out."""
    handed: dict[tuple[bool, str], Binding] = {}
    seen_in_requests: set[tuple[bool, str]] = set()
    for p in plans:
        ex = p.exchange
        carried = _request_values(ex)
        for key in carried:
            if key in handed:
                handed[key].users.append(p.index)
        seen_in_requests |= carried
        for path, value in _answer_leaves(ex.response_body_text):
            for key in _answer_keys(value):
                if key not in handed and key not in seen_in_requests:
                    handed[key] = Binding(p.index, path, key[1], key[0])
    return [b for b in handed.values() if b.users]


def live_value(body: bytes | None, path: Path) -> str | None:
    """The value at *path* of a live answer's JSON, as text; None when it has none there."""
    try:
        value: Any = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return None
    for step in path:
        if isinstance(value, dict) and isinstance(step, str) and step in value:
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and step < len(value):
            value = value[step]
        else:
            return None
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def distinctive(text: str) -> bool:
    """Whether a clear value is unlikely to collide with another by chance: at least
    :data:`MIN_CLEAR` characters, a digit among them, not a date or time (those repeat),
    not a pseudonym, not one character repeated."""
    return (len(text) >= MIN_CLEAR and any(c.isdigit() for c in text) and not _TIMESTAMP.match(text)
            and "tillroll:" not in text and len(set(text.replace("-", ""))) > 2)


def format_path(path: Path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(the whole answer)"


def _request_values(ex) -> set[tuple[bool, str]]:
    keys = {(True, d) for token, _ in slots(ex) if (d := digest_of(token))}
    keys |= {(False, text) for text in leaves(ex) if distinctive(text)}
    return keys


def _answer_keys(value: str) -> list[tuple[bool, str]]:
    if "tillroll:" in value:
        return [(True, d) for m in TOKEN.finditer(value) if (d := digest_of(m.group()))]
    return [(False, value)] if distinctive(value) else []


def _answer_leaves(text: str | None) -> Iterator[tuple[Path, str]]:
    """Every string or number of an answer's JSON with where it stands, in document order."""
    if not text or text.lstrip()[:1] not in ("{", "["):
        return
    try:
        doc = json.loads(text)
    except ValueError:
        return
    stack: list[tuple[Any, Path]] = [(doc, ())]
    while stack:  # iterative, depth-first in document order
        value, path = stack.pop()
        if isinstance(value, dict):
            stack.extend(reversed([(v, (*path, k)) for k, v in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(v, (*path, i)) for i, v in enumerate(value)]))
        elif isinstance(value, str):
            yield path, value
        elif isinstance(value, int) and not isinstance(value, bool):
            yield path, str(value)
