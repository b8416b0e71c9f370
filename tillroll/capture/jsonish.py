"""JSON as vendors really send it: strict first, then the common breakages repaired.

Repairs (seen in the vendors' own documentation): raw control characters (line breaks)
inside strings, trailing commas, a missing opening brace. The repaired parse is for
*understanding* a body (operation, parameters, outcome); the stored body keeps its
original text.

Every JSON text tillroll did not write itself is parsed here (:func:`loads`), so one
set of limits holds for all of them: nothing deeper than :data:`MAX_DEPTH` levels (every
walk over a parsed body is recursive, and a hostile body must not reach Python's
recursion limit), no ``NaN``/``Infinity`` (not JSON; they would make the stored
parameters unreadable for DuckDB), no number that only fits as an infinite float. Such
a text is simply not JSON to tillroll: it is handled like any other unparseable body.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from . import native

NOT_JSON = object()
MAX_DEPTH = 100  # nesting levels; real vendor bodies use about ten
_STRING_OR_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=\s*[}\]])', re.S)
_HUGE_NUMBER = re.compile(r"[eE]\+?\d{3}|\d{309}")  # the only ways to write a float that overflows


class Unparseable(ValueError):
    """Valid JSON syntax, perhaps, but beyond what tillroll accepts (too deep, not finite)."""


def loads(text: str, *, strict: bool = True) -> Any:
    """``json.loads`` within tillroll's limits; raises ``ValueError`` (or
    :class:`Unparseable`) for anything that is not JSON to tillroll."""
    if text[:1] == "\ufeff":  # as json.loads: a BOM is not JSON
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    try:
        value = _decoded(_STRICT if strict else _LENIENT, text)
    except RecursionError:  # deeper than the C decoder goes: certainly too deep
        raise Unparseable("nested too deeply") from None
    if type(value) in (dict, list) and nesting_marks(text) > MAX_DEPTH and depth(value) > MAX_DEPTH:
        raise Unparseable(f"nested more than {MAX_DEPTH} levels deep")
    if may_overflow(text) and not finite(value):
        raise Unparseable("a number out of range")
    return value


def parse(text: str) -> tuple[Any, bool]:
    """``(value, strict)``: the parsed value and whether it was valid JSON as is.
    ``(NOT_JSON, False)`` when even the repairs do not make it JSON."""
    stripped = text.strip()
    if not stripped or stripped[0] not in '{["' and not _looks_scalar(stripped):
        return NOT_JSON, False
    try:
        return loads(stripped), True
    except Unparseable:
        return NOT_JSON, False  # repairs do not make it shallower or finite
    except ValueError:
        pass
    candidate = _drop_trailing_commas(stripped)
    if candidate.startswith('"') and candidate.endswith("}") and re.match(r'"[^"]*"\s*:', candidate):
        candidate = "{" + candidate
    try:
        return loads(candidate, strict=False), False
    except ValueError:
        return NOT_JSON, False


def parse_reading(text: str, reads: dict | None) -> tuple[Any, bool]:
    """:func:`parse` for a reader that reads only *reads* of the value (the key paths a
    vendor profile declares; None: anything). The pure path parses the whole text: it is
    the oracle of the compiled one, which builds only what *reads* names and leaves to
    :func:`parse` every text it is not sure of (``tillroll.capture._outline``)."""
    return parse(text)


def pruned(value: Any, reads: dict) -> Any:
    """The parsed *value* with only what *reads* declares (``True``: a member whole,
    ``False``: its kind only, a dict: the members it declares): what the compiled
    :func:`parse_reading` builds of a text, by definition (tested and fuzzed against)."""
    if type(value) is not dict:
        return _kind(value)
    out = {}
    for name, read in reads.items():
        if name in value:
            member = value[name]
            out[name] = member if read is True else _kind(member) if read is False else pruned(member, read)
    return out


def _kind(value: Any) -> Any:
    return {} if type(value) is dict else [] if type(value) is list else value


def depth(value: Any) -> int:
    """Nesting levels of a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if type(item) is dict:
            children = item.values()
        elif type(item) is list:
            children = item
        else:
            continue
        if level > deepest:
            deepest = level
            if deepest > MAX_DEPTH:
                return deepest
        stack.extend((child, level + 1) for child in children if type(child) in (dict, list))
    return deepest


def nesting_marks(text: str) -> int:
    """How many objects and arrays *text* may open: a JSON value is no deeper than that."""
    return text.count("{") + text.count("[")


def may_overflow(text: str) -> bool:
    """Whether *text* may hold a number too big for a float (a cheap prefilter)."""
    return _HUGE_NUMBER.search(text) is not None


def finite(value: Any) -> bool:
    """No float in the parsed JSON *value* is infinite or NaN."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is float:
            if not math.isfinite(item):
                return False
        elif type(item) is dict:
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return True


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# json.loads(text, strict=..., parse_constant=...) builds a new decoder per call: these are built once.
_STRICT = json.JSONDecoder(parse_constant=_no_constant)
_LENIENT = json.JSONDecoder(strict=False, parse_constant=_no_constant)


_WS = json.decoder.WHITESPACE.match


def _decoded(decoder: json.JSONDecoder, text: str) -> Any:
    """``decoder.decode(text)`` without its two Python frames (a fifth of parsing a small
    body): its C scanner called directly, the same errors raised."""
    start = _WS(text, 0).end() if text[:1] in (" ", "\t", "\n", "\r") else 0
    try:
        value, end = decoder.scan_once(text, start)
    except StopIteration as err:
        raise json.JSONDecodeError("Expecting value", text, err.value) from None
    if end != len(text):
        end = _WS(text, end).end()
        if end != len(text):
            raise json.JSONDecodeError("Extra data", text, end)
    return value


def _drop_trailing_commas(text: str) -> str:
    # commas inside strings are kept: the regex consumes whole strings first
    return _STRING_OR_COMMA.sub(lambda m: "" if m.group() == "," else m.group(), text)


def _looks_scalar(text: str) -> bool:
    return text in ("true", "false", "null") or bool(re.fullmatch(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", text))


_JSON_KEY = re.compile(r'"([^"\\]*)"\s*:')


def json_keys(text: str) -> list[str]:
    """The object keys of the JSON *text* spelt without escapes, in order (a scan, not a
    parse: a key spelt with an escape is not found; callers check for escapes first)."""
    return _JSON_KEY.findall(text)


pure_json_keys, pure_may_overflow, pure_finite, pure_nesting_marks = json_keys, may_overflow, finite, nesting_marks
pure_parse_reading = parse_reading


def _parse_outlined(text: str, reads: dict | None) -> tuple[Any, bool]:
    """:func:`parse_reading`, compiled: only what *reads* names is built."""
    if reads is not None:
        stripped = text.strip()
        if stripped[:1] in ("{", "["):
            value = _outline(stripped, reads)
            if value is not _UNSURE:
                return value, True
    return parse(text)


if native.ext is not None:
    native.ext.configure_jsonish(pure_may_overflow)
    may_overflow, finite = native.ext.may_overflow, native.ext.finite  # noqa: F811
    nesting_marks = native.ext.nesting_marks  # noqa: F811
    _outline, _UNSURE = native.outline_ext.outline, native.outline_ext.UNSURE
    parse_reading = _parse_outlined
