"""Planted changes: a sandbox that answers one operation differently, on purpose.

A vendor upgrade renames a field, changes its type, or starts failing inside a 200. To test
a drift check against a sandbox that did exactly that, :func:`tillroll.sandbox.make_app`
takes ``changes=[PlantedChange(...)]``; each rewrites the JSON answers of one operation
after the vendor module has made them. Nothing else about the sandbox changes.

An operation is named like the capture pipeline names it: a SPOT ``RequestType``, an XGL
``action_type``, or the request path (``/order``, ``/posexport/v1/...``) for the others.

Kinds:

- ``rename``: the member at *field* (dotted, ``ReturnObject.FirstName``; in a list, every
  element's) is renamed to *to*;
- ``retype``: its value becomes a string (a number or a boolean) or a number (a string of
  digits), like an upgrade that starts quoting numbers;
- ``fail``: the answer becomes SPOT's failure inside a 200: ``Failed: true`` with *to* (or
  "Planted failure") as the ``Message``, the status unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

KINDS = ("rename", "retype", "fail")


@dataclass(frozen=True)
class PlantedChange:
    operation: str
    kind: str
    field: str = ""
    to: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown planted change {self.kind!r}: use one of {', '.join(KINDS)}")
        if self.kind in ("rename", "retype") and not self.field:
            raise ValueError(f"a {self.kind} change needs the field it changes")
        if self.kind == "rename" and not self.to:
            raise ValueError("a rename needs the new name (to=...)")


def operation_of(path: str, body: bytes) -> str:
    """The operation a request names: its ``RequestType`` or ``action_type``, else its path."""
    try:
        doc = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        doc = None
    if isinstance(doc, dict):
        inner = doc.get("outHTTP", {}).get("body") if isinstance(doc.get("outHTTP"), dict) else doc
        for name in ("RequestType", "action_type"):
            if isinstance(inner, dict) and isinstance(inner.get(name), str):
                return inner[name]
    return path


def apply(change: PlantedChange, answer: Any) -> Any:
    """*answer* (a parsed JSON response) with *change* made; the input is not modified."""
    answer = json.loads(json.dumps(answer))
    if change.kind == "fail":
        if isinstance(answer, dict):
            answer["Failed"], answer["Message"] = True, change.to or "Planted failure"
        return answer
    steps = change.field.split(".")
    for parent in _parents(answer, steps[:-1]):
        if not isinstance(parent, dict) or steps[-1] not in parent:
            continue
        if change.kind == "rename":
            parent[change.to] = parent.pop(steps[-1])
        else:
            parent[steps[-1]] = _retyped(parent[steps[-1]])
    return answer


def _parents(value: Any, steps: list[str]) -> list[Any]:
    found = [value]
    for step in steps:
        nxt = []
        for item in found:
            for element in (item if isinstance(item, list) else [item]):
                if isinstance(element, dict) and step in element:
                    nxt.append(element[step])
        found = nxt
    return [e for item in found for e in (item if isinstance(item, list) else [item])]


def _retyped(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return value
