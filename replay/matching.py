"""Matching a live request to recordings: named matchers over match documents (pure).

A match document (:mod:`tillroll.capture.match_doc`) is computed the same way for a recorded
exchange and for a live request: vendor decoding and redaction first, then secrets and
volatile fields left out. A *matcher* is a small named function from a document to a
JSON-able value; two requests match when every chosen matcher gives the same value.
The key of a request is the canonical text of those values, so a lookup is one dict
access whatever the size of the cassette.

Add a matcher with :func:`register` (or ``--matcher module:function`` on the command
line): ``register("store", lambda doc: (doc["params"] or {}).get("StoreID"))``.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from tillroll.capture.match_doc import COMPONENTS, STORED, key_text, without_pii
from tillroll.capture.storable import storable

Matcher = Callable[[dict], Any]

MATCHERS: dict[str, Matcher] = {name: (lambda doc, _n=name: doc.get(_n)) for name in COMPONENTS}
DEFAULT = ("method", "path", "operation", "params", "query", "body")
DEFAULT_IS_STORED = set(DEFAULT) == set(STORED)  # the stored key is the default one: fast loading


class MatcherError(Exception):
    """An unknown or unloadable matcher; the message says which and what exists."""


def register(name: str, fn: Matcher) -> None:
    MATCHERS[name] = fn


def load_matcher(spec: str) -> str:
    """Register the function named by ``module:function`` and return its name."""
    module, _, attr = spec.partition(":")
    if not attr:
        raise MatcherError(f"matcher {spec!r}: use module:function")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise MatcherError(f"matcher {spec!r} cannot be loaded ({exc})") from None
    register(attr, fn)
    return attr


@dataclass(frozen=True)
class Matching:
    """Which matchers, and whether PII pseudonyms can be compared (same redaction key)."""

    names: tuple[str, ...] = DEFAULT
    pii: bool = True

    def __post_init__(self):
        unknown = [n for n in self.names if n not in MATCHERS]
        if unknown:
            raise MatcherError(f"unknown matcher(s) {', '.join(unknown)}; known: {', '.join(sorted(MATCHERS))}")

    @property
    def uses_stored_key(self) -> bool:
        """The stored ``match_key`` text is this matching's key (no recomputation)."""
        return self.pii and set(self.names) == set(STORED) and DEFAULT_IS_STORED

    def key(self, doc: dict) -> str:
        if self.uses_stored_key:
            return key_text(doc, STORED)
        if not self.pii:
            doc = without_pii(doc)
        return storable(json.dumps([MATCHERS[n](doc) for n in self.names], sort_keys=True, separators=(",", ":"),
                                   ensure_ascii=False, default=str))

    def key_of_stored(self, stored: str, host: str | None = None) -> str:
        """The key of a recording from its stored match document text (and its host:port)."""
        if self.uses_stored_key:
            return stored
        doc = json.loads(stored)
        doc["host"] = host
        return self.key(doc)


# -- near misses ------------------------------------------------------------------------------

@dataclass
class NearMiss:
    row: int
    distance: float
    failed: list[str]
    diff: list[dict] = field(default_factory=list)  # field-level differences of params and query


def compare(live: dict, recorded: dict, matching: Matching) -> NearMiss:
    """How far *recorded* is from *live*: the matchers that fail, and for the parameters
    and the query, which fields differ."""
    if not matching.pii:
        live, recorded = without_pii(live), without_pii(recorded)
    failed, diffs, distance = [], [], 0.0
    for name in matching.names:
        a, b = MATCHERS[name](live), MATCHERS[name](recorded)
        if a == b:
            continue
        failed.append(name)
        if name in ("params", "query", "body"):
            found = field_diff(_flat(a), _flat(b), name)
            diffs += found
            distance += 1 + 0.1 * len(found)
        else:
            distance += 2 if name in ("method", "operation") else 1
    return NearMiss(row=-1, distance=distance, failed=failed, diff=diffs)


def field_diff(live: dict[str, Any], recorded: dict[str, Any], prefix: str) -> list[dict]:
    out = []
    for path in sorted(live.keys() | recorded.keys()):
        a, b = live.get(path, _ABSENT), recorded.get(path, _ABSENT)
        if a != b:
            out.append({"field": f"{prefix}{path}", "request": None if a is _ABSENT else a,
                        "recorded": None if b is _ABSENT else b,
                        "change": "missing" if a is _ABSENT else "extra" if b is _ABSENT else "different"})
    return out


_ABSENT = object()


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    """``{"a": {"b": [1]}}`` -> ``{".a.b[0]": 1}``; a query (sorted pairs) by name."""
    if isinstance(value, list) and value and all(isinstance(p, list) and len(p) == 2 for p in value) \
            and path == "":
        out: dict[str, Any] = {}
        for k, v in value:
            name = f".{k}"
            out[name] = v if name not in out else [*(out[name] if isinstance(out[name], list) else [out[name]]), v]
        return out
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flat(v, f"{path}.{k}"))
        return out or {path: {}}
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(_flat(v, f"{path}[{i}]"))
        return out or {path: []}
    return {path: value}
