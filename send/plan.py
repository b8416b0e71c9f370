"""What ``tillroll send`` sends: a cassette's requests, made concrete again (pure).

A recorded request is redacted: its secrets and PII stand as keyed pseudonyms
(``tillroll:securityid:3f9a1c2b4d5e``, ``tillroll:card:1111:…``) or as ``tillroll:dropped``
(a password). :func:`plan` turns a cassette's exchanges into :class:`Planned` requests, in
recorded order, each with its offset from the first; :func:`fill` walks one request's
path, query, headers and body and asks a function for the clear value of every pseudonym,
with the name of the field it stands in (a dropped value is known only by that name).
The same walk, with a function that answers nothing, lists what a request needs
(:func:`slots`). Values handed out by earlier answers (a session, a receipt number) are
put back by whole value (``clear``; see :mod:`tillroll.send.chaining`).

Nothing here does I/O or holds a secret longer than the call that builds a request.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote, unquote

from tillroll.capture import querystring
from tillroll.capture.redact import DROPPED, PSEUDONYM_PARTS
from tillroll.store.exchange import Exchange

# What the capture pipeline writes for a value; a digest is 12 hex digits and never
# glued to another hex digit (the sweep keeps pseudonyms whole).
TOKEN = re.compile(f"{DROPPED}|{PSEUDONYM_PARTS.pattern}")
# Headers a client sets for the connection it opens, never copied from a recording; and
# Content-Encoding, because a recording stores the body decoded and it is sent as stored.
HOP_BY_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
                        "proxy-connection", "te", "trailer", "accept-encoding", "content-encoding"})

Lookup = Callable[[str, str], "str | None"]  # (pseudonym, field name) -> clear value, or None: leave it


@dataclass(frozen=True)
class Planned:
    """One recorded request, ready to be made concrete."""

    index: int  # position in recorded order, from 0
    offset: float  # seconds after the first request, as recorded
    exchange: Exchange

    @property
    def label(self) -> str:
        return f"{self.exchange.vendor or 'generic'} {self.exchange.operation or self.exchange.method}"


@dataclass(frozen=True)
class Concrete:
    """A request as it goes on the wire (to a base URL chosen elsewhere)."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes | None


def plan(exchanges: list[Exchange]) -> list[Planned]:
    """The requests of *exchanges* (in recorded order) with their recorded offsets."""
    if not exchanges:
        return []
    first = exchanges[0].started_at
    return [Planned(i, max(0.0, (ex.started_at - first).total_seconds()), ex) for i, ex in enumerate(exchanges)]


def schedule(plans: list[Planned], rate: float | None) -> list[float]:
    """When each request is sent, in seconds from the start: the recorded gaps divided by
    *rate* (2.0 halves them); ``None`` sends each as soon as it may (``--rate max``)."""
    if rate is None:
        return [0.0 for _ in plans]
    return [p.offset / rate for p in plans]


def parse_rate(text: str) -> float | None:
    """``recorded`` -> 1.0, ``2x`` -> 2.0, ``0.5x`` -> 0.5, ``max`` -> None; ValueError otherwise."""
    text = text.strip().lower()
    if text == "max":
        return None
    if text == "recorded":
        return 1.0
    try:
        factor = float(text[:-1]) if text.endswith("x") else float("nan")
    except ValueError:
        factor = float("nan")
    if not factor > 0 or factor == float("inf"):
        raise ValueError(f"--rate {text!r}: use recorded, max, or a multiple such as 2x or 0.5x")
    return factor


def fill(ex: Exchange, lookup: Lookup, clear: dict[str, Any] | None = None) -> Concrete:
    """The request of *ex* with every pseudonym *lookup* knows replaced by its clear value,
    and every whole value in *clear* replaced by its new one."""
    return _Filler(lookup, clear or {}).request(ex)


def slots(ex: Exchange) -> list[tuple[str, str]]:
    """``(pseudonym, field)`` for every pseudonym the request of *ex* holds, in order."""
    found: list[tuple[str, str]] = []

    def note(token: str, field: str) -> None:
        found.append((token, field))

    _Filler(note, {}).request(ex)
    return found


def leaves(ex: Exchange) -> list[str]:
    """Every whole value of the request of *ex*: path segments, query values, JSON strings."""
    found: list[str] = []
    _Filler(lambda t, f: None, {}, found).request(ex)
    return found


def digest_of(token: str) -> str | None:
    """The keyed digest of a pseudonym (None for ``tillroll:dropped``)."""
    m = TOKEN.fullmatch(token)
    return m.group(3) if m and m.group(3) else None


def label_of(token: str) -> str | None:
    m = TOKEN.fullmatch(token)
    return m.group(1) if m else None


class _Filler:
    def __init__(self, lookup: Lookup, clear: dict[str, Any], leaves: list[str] | None = None):
        self.lookup, self.clear, self.leaves = lookup, clear, leaves

    def request(self, ex: Exchange) -> Concrete:
        path = "/".join(self._segment(seg, prev) for prev, seg in zip([""] + ex.path.split("/"), ex.path.split("/")))
        query = self._form(ex.query or "")
        headers = [(k, self._text(v, k)) for k, v in ex.request_headers if k.lower() not in HOP_BY_HOP]
        return Concrete(ex.method, path, query, headers, self._body(ex))

    def _leaf(self, text: str) -> Any:
        if self.leaves is not None:
            self.leaves.append(text)
        return self.clear.get(text, _NONE)

    def _text(self, text: str, field: str) -> str:
        if "tillroll:" not in text:
            return text

        def one(m: re.Match) -> str:
            value = self.lookup(m.group(), field)
            return m.group() if value is None else str(value)

        return TOKEN.sub(one, text)

    def _segment(self, raw: str, previous: str) -> str:
        text = unquote(raw)
        new = self._leaf(text) if text else _NONE
        if new is not _NONE:
            return quote(str(new), safe="")
        filled = self._text(text, unquote(previous) or "path")
        return raw if filled == text else quote(filled, safe="")

    def _form(self, query: str) -> str:
        return querystring.rewrite(query, self._pair, lambda key: self._json_text(key, None))

    def _pair(self, key: str, value: str) -> str:
        new = self._leaf(value) if value else _NONE
        return str(new) if new is not _NONE else self._text(value, key)

    def _body(self, ex: Exchange) -> bytes | None:
        text = ex.request_body_text
        if text is None:
            return ex.request_body_bytes
        if text.lstrip()[:1] in ("{", "["):
            filled = self._json_text(text, None)
            return filled.encode("utf-8")
        if "x-www-form-urlencoded" in (ex.request_content_type or ""):
            return self._form(text).encode("utf-8")
        return self._text(text, "body").encode("utf-8")

    def _json_text(self, text: str, field: str | None) -> str:
        try:
            value = json.loads(text)
        except ValueError:
            return self._text(text, field or "body")
        filled = self._json(value, field)
        return text if filled == value else json.dumps(filled, ensure_ascii=False)

    def _json(self, value: Any, field: str | None) -> Any:
        if isinstance(value, dict):
            return {k: self._json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._json(v, field) for v in value]
        if not isinstance(value, str):
            return value
        new = self._leaf(value)
        if new is not _NONE:
            return new
        if field is not None and field.lower() == "body" and "tillroll:" not in value:
            return self._base64(value)
        return self._text(value, field or "body")

    def _base64(self, value: str) -> str:
        """SPOT's legacy ``Body``: Base64 JSON whose values are filled like any other's."""
        try:
            inner = json.loads(base64.b64decode(value, validate=True).decode("utf-8"))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return value
        filled = self._json(inner, None)
        return value if filled == inner else base64.b64encode(json.dumps(filled).encode("utf-8")).decode("ascii")


_NONE = object()
