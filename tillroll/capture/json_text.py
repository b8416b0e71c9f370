"""Redaction of a strict JSON text where it stands: one walk over the text, the
replacements spliced into the original at the spans of the tokens they replace.

Every member and element is judged as :meth:`Pass._dict` and :meth:`Pass._list` judge
the parsed value (the rules by key name, the contextual ``name`` rule, Base64 members,
detectors on strings and on long integers, secrets in keys), and the replacements come
from the same :class:`~tillroll.capture.redact.Pass` methods. What the text walk adds:

* the stored body keeps its formatting byte for byte outside the replaced tokens (no
  re-serialisation, no check by a second parse);
* a key named twice in one object is seen twice (a parse keeps only the last one).

A replaced string or number becomes a JSON string token (``json.dumps`` of the
replacement, non-ASCII kept as is), so the result is always valid JSON.

The text must be strict JSON (``json.loads`` accepted it): the walk does not check the
syntax. :mod:`tillroll.capture._native` holds the compiled twin of :func:`redact_text`;
this one is its oracle and the fallback.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import detectors
from .detectors import MIN_LENGTH
from .policy import contextual_rule, normalise

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_LITERAL_LENGTH = {"t": 4, "f": 5, "n": 4}
_WS = " \t\n\r"
_BIG = 10 ** 12


def redact_text(p: Any, text: str, where: str, at: tuple[str, ...] = ()) -> tuple[str, str | None]:
    """``(redacted, part)``: *text* (strict JSON) with every value :meth:`Pass.json` would
    redact replaced in place, the redactions recorded in *p* (*text* itself when nothing
    changes); and the redacted text of the value the keys *at* lead to (the vendor's
    parameters, a part of the body), or None when *at* is empty or leads nowhere."""
    walk = _Walk(p, text, at)
    walk.top(_start(text), where)
    redacted = text
    if walk.edits:
        out, last = [], 0
        for start, end, token in walk.edits:
            out += [text[last:start], token]
            last = end
        out.append(text[last:])
        redacted = "".join(out)
    if walk.found is None:
        return redacted, None
    start, end = walk.found  # moved by the edits before it, stretched by those inside it
    before = sum(len(token) - (e - s) for s, e, token in walk.edits if e <= start)
    inside = sum(len(token) - (e - s) for s, e, token in walk.edits if s >= start and e <= end)
    return redacted, redacted[start + before:end + before + inside]


def locate(text: str, at: tuple[str, ...]) -> str | None:
    """The text of the value the keys *at* lead to in the strict JSON *text* (where a key
    is named twice, its last value, as the parse keeps it), or None."""
    walk = _Walk(None, text, at)
    i = _start(text)
    end = walk.skip(i)
    for key in at:
        if text[i] != "{":
            return None
        found, j = None, walk.ws(i + 1)
        while text[j] != "}":
            j, name = walk.string(j)
            j = walk.ws(walk.ws(j) + 1)
            value_end = walk.skip(j)
            if name == key:
                found = (j, value_end)
            j = walk.ws(value_end)
            if text[j] == ",":
                j = walk.ws(j + 1)
        if found is None:
            return None
        i, end = found
    return text[i:end]


def _start(text: str) -> int:
    i = 0
    while text[i].isspace():  # the parse read the text stripped (str.strip's whitespace)
        i += 1
    return i


def string_token(value: str) -> str:
    """*value* as a JSON string token, non-ASCII kept as is (``json.dumps(value,
    ensure_ascii=False)``); a pseudonym needs only its quotes."""
    if type(value) is str and _PLAIN.fullmatch(value):
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


_PLAIN = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII but the quote and the backslash: nothing to escape


class _Walk:
    def __init__(self, p: Any, text: str, at: tuple[str, ...] = ()):
        self.p, self.text, self.at = p, text, at
        self.edits: list[tuple[int, int, str]] = []  # (start, end, new token), in text order
        self.found: tuple[int, int] | None = None  # the span of the value *at* leads to

    # -- tokens ------------------------------------------------------------------------
    def ws(self, i: int) -> int:
        text = self.text
        while i < len(text) and text[i] in _WS:
            i += 1
        return i

    def string(self, i: int) -> tuple[int, str]:
        """``(end, decoded)`` of the string token at *i*."""
        m = _STRING.match(self.text, i)
        token = m.group()
        return m.end(), (json.loads(token) if "\\" in token else token[1:-1])

    def skip(self, i: int) -> int:
        """The end of the value at *i*, nothing in it judged."""
        text, c = self.text, self.text[i]
        if c == '"':
            return _STRING.match(text, i).end()
        if c != "{" and c != "[":
            return self._scalar_end(i)
        depth = 0
        while True:
            c = text[i]
            if c == '"':
                i = _STRING.match(text, i).end()
                continue
            if c == "{" or c == "[":
                depth += 1
            elif c == "}" or c == "]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1

    def _scalar_end(self, i: int) -> int:
        c = self.text[i]
        if c in _LITERAL_LENGTH:
            return i + _LITERAL_LENGTH[c]
        return _NUMBER.match(self.text, i).end()

    def _replace(self, start: int, end: int, old: Any, new: Any) -> None:
        if new is not old and new != old:
            self.edits.append((start, end, string_token(new)))

    # -- values ------------------------------------------------------------------------
    def top(self, i: int, where: str) -> int:
        """:meth:`Pass.json` on the value at *i*, with no enclosing key."""
        return self._value(i, where, None, 0 if self.at else -1)

    def _value(self, i: int, where: str, parent: str | None, on: int = -1) -> int:
        """A value that no rule names: containers are walked, strings and long integers
        go through the detectors (``Pass.json``)."""
        c = self.text[i]
        if c == "{":
            return self._object(i, where, parent, on)
        if c == "[":
            return self._array(i, where, parent)
        if c == '"':
            end, value = self.string(i)
            if len(value) >= MIN_LENGTH and detectors.maybe_secret(value):
                self._replace(i, end, value, self.p._detected(value, where))
            return end
        end = self._scalar_end(i)
        self._big_integer(i, end, where)
        return end

    def _big_integer(self, i: int, end: int, where: str) -> None:
        token = self.text[i:end]
        if token[0] != "-" and token.isdigit() and int(token) > _BIG:
            redacted = self.p.value(token, where)
            if redacted != token:
                self.edits.append((i, end, string_token(redacted)))

    def _object(self, i: int, where: str, parent: str | None, on: int) -> int:
        """*on*: the index in ``at`` of the key this object may hold on the way there (-1: off the way)."""
        p, text = self.p, self.text
        keys: list[tuple[int, int, str]] = []  # every key's span and name
        i = self.ws(i + 1)
        if text[i] == "}":
            return i + 1
        while True:
            key_start = i
            i, key = self.string(i)
            keys.append((key_start, i, key))
            i = self.ws(self.ws(i) + 1)  # past the colon
            member = f"{where}.{key}"
            rule = p.rule_for(key)
            if rule is None and parent is not None and len(key) == 4 and key.lower() == "name":
                rule = contextual_rule(parent, "name")
            c, value_start = text[i], i
            towards = on >= 0 and key == self.at[on]
            if rule is not None and rule.action != "keep":
                i = self._all(i, rule, member)
            elif c == '"':
                end, value = self.string(i)
                if p.base64_fields and normalise(key) in p.base64_fields:
                    self._replace(i, end, value, p._base64_json(value, member))
                elif len(value) >= MIN_LENGTH and detectors.maybe_secret(value):
                    self._replace(i, end, value, p._detected(value, member))
                i = end
            elif c == "{" or c == "[":
                i = self._value(i, member, normalise(key), on + 1 if towards and on + 1 < len(self.at) else -1)
            else:
                end = self._scalar_end(i)
                self._big_integer(i, end, member)
                i = end
            if towards and on + 1 == len(self.at):
                self.found = (value_start, i)
            i = self.ws(i)
            if text[i] == "}":
                break
            i = self.ws(i + 1)  # past the comma
        if any(len(k) >= MIN_LENGTH and detectors.maybe_secret(k) for _, _, k in keys):
            # secrets in the keys themselves (a map keyed by email): after the values, as Pass._dict
            for start, end, key in keys:
                if detectors.maybe_secret(key):
                    self._replace(start, end, key, p._detected(key, f"{where}.<key>"))
            self.edits.sort()
        return i + 1

    def _array(self, i: int, where: str, parent: str | None) -> int:
        text = self.text
        i = self.ws(i + 1)
        if text[i] == "]":
            return i + 1
        n = 0
        while True:
            c = text[i]
            item = f"{where}[{n}]"
            if c == "{" or c == "[" or c == '"':
                i = self._value(i, item, parent)
            else:
                end = self._scalar_end(i)
                self._big_integer(i, end, item)
                i = end
            n += 1
            i = self.ws(i)
            if text[i] == "]":
                return i + 1
            i = self.ws(i + 1)

    def _all(self, i: int, rule: Any, where: str) -> int:
        """``Pass._all``: everything at *i* falls under *rule* (a secret's name over a
        structure redacts every leaf inside it)."""
        text, c = self.text, self.text[i]
        if c == "{":
            i = self.ws(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                i, key = self.string(i)
                i = self.ws(self.ws(i) + 1)
                i = self.ws(self._all(i, rule, f"{where}.{key}"))
                if text[i] == "}":
                    return i + 1
                i = self.ws(i + 1)
        if c == "[":
            i = self.ws(i + 1)
            if text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = self.ws(self._all(i, rule, f"{where}[{n}]"))
                n += 1
                if text[i] == "]":
                    return i + 1
                i = self.ws(i + 1)
        if c == '"':
            end, value = self.string(i)
        else:
            end = self._scalar_end(i)
            value = json.loads(text[i:end])
        self._replace(i, end, value, self.p._apply(rule, value, where))
        return end
