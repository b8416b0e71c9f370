"""Drift: how a live answer differs from the recorded one, and what is only noise (pure).

Both sides are captured records (the live answer went through the same capture pipeline
with the cassette's key), so they compare pseudonym to pseudonym and no secret is ever
in a report. An answer is compared with every recorded answer of an identical request
(the same match key) and the closest one counts: a session that expired in the recording
but not live is not drift when the same request was also answered while it was live.

What is compared, in this order (the first that differs is the whole story of an answer:
a failure's body is expected to differ from a success's):

1. the HTTP status, then the vendor outcome (``ok``/``failed``/``error``: a
   ``"Failed": true`` inside a 200 is a failure);
2. the JSON structure: fields added, removed (a removed and an added sibling holding
   the same value: renamed), or whose type changed (``null`` is not a type change);
3. values, except noise: the vendor profile's volatile fields, fields whose values differ
   between the recorded answers of identical requests, and date/times (they move on
   their own). Noise is listed, so the user can confirm it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from tillroll.capture.policy import normalise
from tillroll.capture.vendors import BY_NAME, GENERIC
from tillroll.store.exchange import Exchange

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_MISSING = object()


@dataclass(frozen=True)
class Change:
    field: str  # a JSON path with lists as [] ("ReturnObject[].Total"), or (status) / (outcome) / (answer)
    change: str  # removed, added, renamed, type changed, value changed, status, outcome, no answer
    recorded: str | None = None
    live: str | None = None

    def describe(self) -> str:
        if self.change in ("status", "outcome", "no answer"):
            return f"{self.recorded} → {self.live}"
        if self.change in ("added", "removed"):
            return f"{self.change} ({self.live if self.change == 'added' else self.recorded})"
        if self.change == "renamed":
            return f"renamed to {self.live}"
        return f"{self.change}: {self.recorded} → {self.live}"


@dataclass
class OperationDrift:
    vendor: str
    operation: str
    answers: int = 0
    drifted: int = 0
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Noise:
    vendor: str
    operation: str
    field: str
    why: str


@dataclass
class Report:
    compared: int = 0
    operations: dict[tuple[str, str], OperationDrift] = field(default_factory=dict)
    noise: list[Noise] = field(default_factory=list)

    @property
    def drift(self) -> list[OperationDrift]:
        return [op for op in self.operations.values() if op.drifted]

    def as_json(self) -> dict[str, Any]:
        return {"compared": self.compared, "drifted": sum(op.drifted for op in self.drift),
                "drift": [{**asdict(op), "changes": [asdict(c) for c in op.changes]} for op in self.drift],
                "noise": [asdict(n) for n in self.noise]}


def compare(pairs: list[tuple[Exchange, Exchange | None]], recorded: list[Exchange]) -> Report:
    """The drift report of *pairs* (recorded, live — None when no answer came), with
    *recorded* (the whole cassette) for the identical requests' answers."""
    by_key: dict[str, list[Exchange]] = {}
    for ex in recorded:
        by_key.setdefault(ex.match_key or ex.exchange_id, []).append(ex)
    report = Report()
    noise: dict[Noise, None] = {}
    for rec, live in pairs:
        vendor, operation = rec.vendor or "generic", rec.operation or rec.method
        op = report.operations.setdefault((vendor, operation), OperationDrift(vendor, operation))
        op.answers += 1
        report.compared += 1
        candidates = by_key.get(rec.match_key or rec.exchange_id) or [rec]
        if rec not in candidates:
            candidates = [rec, *candidates]
        changes, seen_noise = _answer_changes(rec, live, candidates, BY_NAME.get(vendor, GENERIC).volatile)
        for where, why in seen_noise:
            noise.setdefault(Noise(vendor, operation, where, why))
        if changes:
            op.drifted += 1
            op.changes.extend(c for c in changes if c not in op.changes)
    report.noise = list(noise)
    return report


def _answer_changes(rec: Exchange, live: Exchange | None, candidates: list[Exchange],
                    volatile: frozenset[str]) -> tuple[list[Change], list[tuple[str, str]]]:
    """How *live* differs from the closest recorded answer of its request."""
    if live is None or live.status is None:
        return [Change("(answer)", "no answer", f"HTTP {rec.status}", (live.error if live else None) or "none")], []
    statuses = sorted({c.status for c in candidates}, key=str)
    outcomes = sorted({c.outcome for c in candidates})
    if live.status not in statuses:
        return [Change("(status)", "status", "/".join(map(str, statuses)), str(live.status))], []
    if live.outcome not in outcomes:
        return [Change("(outcome)", "outcome", _outcome(rec), _outcome(live))], []
    noise = [(name, f"varies between the recorded answers of identical requests ({'/'.join(map(str, seen))})")
             for name, seen in (("(status)", statuses), ("(outcome)", outcomes)) if len(seen) > 1]
    varying = _varying(candidates)
    same = [c for c in candidates if c.status == live.status and c.outcome == live.outcome]
    best: tuple[list[Change], list[tuple[str, str]]] | None = None
    for candidate in sorted(same, key=lambda c: c is not rec):
        found = _body_changes(candidate, live, varying, volatile)
        if best is None or len(found[0]) < len(best[0]):
            best = found
        if not found[0]:
            break
    return best[0], noise + best[1]


def _body_changes(rec: Exchange, live: Exchange, varying: set[str],
                  volatile: frozenset[str]) -> tuple[list[Change], list[tuple[str, str]]]:
    before, after = _json(rec.response_body_text), _json(live.response_body_text)
    if before is _MISSING or after is _MISSING:
        same = (rec.response_body_text or rec.response_body_bytes) == (live.response_body_text or live.response_body_bytes)
        return ([] if same else [Change("(body)", "value changed", "a body", "another body")]), []
    changes = _structure(before, after)
    noise: list[tuple[str, str]] = []
    changed_types = {c.field for c in changes}
    old, new = _values(before), _values(after)
    for path, (general, value) in old.items():
        other = new.get(path)
        if other is None or general in changed_types or _type(value) != _type(other[1]) or value == other[1]:
            continue
        last = general.rsplit(".", 1)[-1].replace("[]", "")
        varies = next((v for v in _prefixes(general) if v in varying), None)
        if normalise(last) in volatile:
            noise.append((general, "the vendor profile's volatile field"))
        elif varies is not None:
            noise.append((varies, "varies between the recorded answers of identical requests"))
        elif isinstance(value, str) and isinstance(other[1], str) and _TIME.match(value) and _TIME.match(other[1]):
            noise.append((general, "a date/time"))
        else:
            change = Change(general, "value changed", _short(value), _short(other[1]))
            if change not in changes:
                changes.append(change)
    return changes, noise


def _prefixes(general: str) -> list[str]:
    """``a[].b`` -> ``a``, ``a[]``, ``a[].b``."""
    out, i = [], 0
    while i < len(general):
        if general[i] in ".[" and i:
            out.append(general[:i])
        i += 1
    return [*dict.fromkeys(out + [general])]


def _outcome(ex: Exchange) -> str:
    return f"{ex.outcome}: {ex.outcome_message}" if ex.outcome_message else ex.outcome


def _json(text: str | None) -> Any:
    if text is None or text.lstrip()[:1] not in ("{", "["):
        return _MISSING
    try:
        return json.loads(text)
    except ValueError:
        return _MISSING


def _structure(before: Any, after: Any) -> list[Change]:
    """Fields added, removed, renamed or retyped, each named once at its top-most path."""
    old, new = _shape(before), _shape(after)
    removed = [p for p in old if p not in new and _parent(p) not in _gone(old, new)]
    added = [p for p in new if p not in old and _parent(p) not in _gone(new, old)]
    changes: list[Change] = []
    old_values, new_values = _first_values(before), _first_values(after)
    for path in list(removed):
        siblings = [a for a in added if _parent(a) == _parent(path) and new[a] == old[path]]
        twins = [a for a in siblings if new_values.get(a, _MISSING) == old_values.get(path)]
        only = len(siblings) == 1 and len([r for r in removed if _parent(r) == _parent(path)]) == 1
        if len(twins) == 1 or only:
            twins = twins or siblings
            changes.append(Change(path, "renamed", path, twins[0].rsplit(".", 1)[-1]))
            removed.remove(path)
            added.remove(twins[0])
    changes += [Change(p, "removed", _types(old[p]), None) for p in removed]
    changes += [Change(p, "added", None, _types(new[p])) for p in added]
    for path in old.keys() & new.keys():
        a, b = old[path] - {"null"}, new[path] - {"null"}
        if a and b and a != b:
            changes.append(Change(path, "type changed", _types(a), _types(b)))
    return changes


def _gone(mine: dict, other: dict) -> set[str]:
    return {p for p in mine if p not in other}


def _parent(path: str) -> str:
    if path.endswith("[]"):
        return path[:-2]
    return path.rsplit(".", 1)[0] if "." in path else ""


def _shape(value: Any, path: str = "", out: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """General path (lists as ``[]``) -> the JSON types found there."""
    out = {} if out is None else out
    stack = [(value, path)]
    while stack:
        value, path = stack.pop()
        if path:
            out.setdefault(path, set()).add(_type(value))
        if isinstance(value, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{path}[]") for v in value)
    return out


def _values(value: Any) -> dict[str, tuple[str, Any]]:
    """Concrete path -> (general path, scalar value) of every scalar."""
    out: dict[str, tuple[str, Any]] = {}
    stack = [(value, "", "")]
    while stack:
        value, concrete, general = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, f"{concrete}.{k}", f"{general}.{k}" if general else str(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{concrete}[{i}]", f"{general}[]") for i, v in enumerate(value))
        else:
            out[concrete] = (general, value)
    return out


def _first_values(value: Any) -> dict[str, Any]:
    firsts: dict[str, Any] = {}
    for general, v in _values(value).values():
        firsts.setdefault(general, v)
    return firsts


def _varying(candidates: list[Exchange]) -> set[str]:
    """General paths whose values differ between the recorded answers of one request
    (a value present in one answer and absent from another differs too)."""
    docs = [d for d in (_json(ex.response_body_text) for ex in candidates) if d is not _MISSING]
    if len(docs) < 2:
        return set()
    maps = [_values(d) for d in docs]
    out = set()
    for concrete in set().union(*maps):
        seen = {json.dumps(m[concrete][1]) if concrete in m else "\x00absent" for m in maps}
        if len(seen) > 1:
            out.add(next(m[concrete][0] for m in maps if concrete in m))
    return out


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", dict: "object", list: "array"}.get(type(value), "value")


def _types(types: set[str]) -> str:
    return "/".join(sorted(types))


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 1] + "…"
