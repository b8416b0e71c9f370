"""Where each element of a JSON array lies in a buffer of bytes, without decoding any.

The reader of a big HAR file only cuts its ``log.entries`` array into the entries' bytes;
worker processes decode them. :func:`scan_elements` is that cut: it walks the bytes
tracking strings (and their escapes) and bracket depth, and records each element's
``(start, end, depth)``. It does not validate JSON: whatever it passes on is decoded by
``json`` later, and whatever it is not sure of (a byte out of place between elements, the
buffer's end) it hands back to the caller, who lets the standard reader decide.

This module is the readable reference and the fallback; :mod:`tillroll.interop._entry_spans`
(Cython) is the same function compiled, chosen once at import unless
``TILLROLL_NO_EXTENSIONS=1``. Tests keep the two identical.
"""

from __future__ import annotations

import re

from tillroll.capture.native import DISABLED

# what scan_elements returns first
MORE, CLOSED, UNSURE = 0, 1, 2
# where the scan is in the array: right after '[', right after a ',', right after an element
OPENED, AFTER_COMMA, AFTER_ELEMENT = 0, 1, 2

_WS = re.compile(rb"[ \t\r\n]*+")
_S = rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"'  # a whole string, escapes jumped
_FLAT = rb'(?:[^"\[\]{}]++|' + _S + rb")*+"  # text and strings, no bracket
# everything up to the next bracket, whole strings and whole innermost objects and arrays
# included (one match instead of two loop turns for each; group 1 or 2 says one was
# there, a level deeper); a string cut by the buffer's end is left for the caller to see:
# its '"' is where the match stops
# (the outer repeat is not possessive: Python 3.11's re mis-tracks a group inside a possessive repeat)
_PLAIN = re.compile(rb"(?:[^\"\[\]{}]++|" + _S + rb"|(\{" + _FLAT + rb"\})|(\[" + _FLAT + rb"\]))*", re.DOTALL)
_STRING = re.compile(_S, re.DOTALL)
_SCALAR = re.compile(rb"[^ \t\r\n,\]}]*+")
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")
_NO_START = frozenset(b",]}:")


def scan_elements(buf: bytes, pos: int, state: int, out: list[int]) -> tuple[int, int, int]:
    """Scan the array elements of *buf* from *pos*, where the scan is in *state*.

    Appends ``start, end, depth`` to *out* for each whole element (``end`` exclusive;
    ``depth`` the deepest bracket nesting inside it, 0 for a string or a scalar).
    Returns ``(status, pos, state)``: ``MORE`` when the buffer ends first (resume at
    ``pos`` in ``state`` with more bytes: an element cut by the end is scanned again from
    its start), ``CLOSED`` with ``pos`` after the array's ``]``, or ``UNSURE`` with
    ``pos`` at a byte no JSON array has there (the caller lets the standard reader say
    what is wrong)."""
    n = len(buf)
    while True:
        pos = _WS.match(buf, pos).end()
        if pos >= n:
            return MORE, pos, state
        c = buf[pos]
        if state == AFTER_ELEMENT:
            if c == 0x2C:  # ','
                pos, state = pos + 1, AFTER_COMMA
                continue
            if c == 0x5D:  # ']'
                return CLOSED, pos + 1, state
            return UNSURE, pos, state
        if c == 0x5D and state == OPENED:
            return CLOSED, pos + 1, state
        if c in _NO_START:
            return UNSURE, pos, state
        start = pos
        if c in _OPEN:
            depth = deepest = 1
            pos += 1
            while True:
                m = _PLAIN.match(buf, pos)
                if m.lastindex is not None:  # an innermost object or array went by whole
                    deepest = max(deepest, depth + 1)
                pos = m.end()
                if pos >= n or buf[pos] == 0x22:  # the end, or a string cut by it
                    return MORE, start, state
                if buf[pos] in _OPEN:
                    depth += 1
                    deepest = max(deepest, depth)
                else:
                    depth -= 1
                pos += 1
                if depth == 0:
                    break
            out += (start, pos, deepest)
        elif c == 0x22:  # '"'
            m = _STRING.match(buf, pos)
            if m is None:
                return MORE, start, state
            pos = m.end()
            out += (start, pos, 0)
        else:
            pos = _SCALAR.match(buf, pos).end()
            if pos >= n:  # a number cut by the end ("12" of "123")
                return MORE, start, state
            out += (start, pos, 0)
        state = AFTER_ELEMENT


def value_end(buf: bytes, pos: int) -> int | None:
    """The end of the JSON value starting at *pos* (structurally, as :func:`scan_elements`
    finds an element's end), None when *buf* ends first, -1 when no value starts there.
    For the few members around a HAR file's entries, so never compiled."""
    out: list[int] = []
    status, _, _ = py_scan_elements(buf, pos, AFTER_COMMA, out)
    if out:
        return out[1]
    return None if status == MORE else -1


py_scan_elements = scan_elements  # the reference, kept by name for the differential tests
compiled = False
if not DISABLED:
    try:
        from ._entry_spans import scan_elements  # type: ignore[no-redef]
        compiled = True
    except ImportError:  # not built (no C compiler at install): the function above runs
        pass
