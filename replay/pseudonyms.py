"""Matching a live request whose values its recording holds as pseudonyms (pure).

A recorded request can hold a value as a pseudonym that the same request, captured
alone, holds in clear: the recording's response showed the value to be PII or a secret
(XGL ``identifyCustomers`` by ``customer_id`` = a phone number the response lists as the
customer's ``phone``), and the record-time sweep removed it from the request too, so
nothing clear reaches disk. Replay sees only the request, so its key holds the clear value.

This module closes that gap from the cassette alone. Each recorded request whose match
document holds a pseudonym is a *template*: its document with those values as holes. A
live request whose document equals a template outside the holes, and whose values in the
holes are the ones the pseudonyms stand for (same keyed digest: ``tillroll:phone:3f9a…``
is the digest of ``1111111111`` under the cassette's key), has that recording's key.
Without the redaction key no digest can be checked, and a hole takes any value: PII is
left out on both sides, as it is for every other field.

Holes are found in the path, the operation and every value of the parameters, the query
and the body, whole or inside a longer text (``"call tillroll:phone:…"``). Only values
take part: a pseudonym that stands for an object key is not a hole.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import unquote, unquote_plus

from tillroll.capture import Redactor
from tillroll.capture.match_doc import SECRET_LABELS  # left out of match documents: never holes
from tillroll.capture.redact import PSEUDONYM_PARTS

from .matching import Matching

_HOLE = "\x00tillroll-hole\x00"
_COMPONENTS = ("path", "operation", "params", "query", "body")
Path = tuple[Any, ...]


@dataclass
class _Template:
    stored: str  # the stored match document text
    host: str | None
    holes: list[tuple[Path, str]]  # where, and the recorded text there
    _patterns: list[tuple[re.Pattern, list[tuple[str, str | None, str]]]] | None = None

    def patterns(self) -> list[tuple[re.Pattern, list[tuple[str, str | None, str]]]]:
        """Per hole: a pattern of the recorded text with each pseudonym as a group, and
        the pseudonyms' ``(text, last four, digest)``."""
        if self._patterns is None:
            self._patterns = [_pattern(text) for _, text in self.holes]
        return self._patterns


@dataclass
class Holes:
    """The recordings of a cassette with pseudonyms in their match documents, ready to
    take a live request's document; built per method on the first request that needs it."""

    matching: Matching
    redactor: Redactor | None  # None: the cassette's key is not known, holes take any value
    stored: list[tuple[str, str | None]]  # one (stored text, host:port) per distinct recorded request
    _by_method: dict[str, dict[Path, dict[str, list[_Template]]]] = field(default_factory=dict)

    def key_for(self, live: dict) -> str | None:
        """The key of the recording *live* is, its pseudonyms explained by its clear
        values; None when no recording is."""
        for signature, table in self._for_method(live.get("method")).items():
            values = [_get(live, where) for where in signature]
            if any(v is _MISSING or isinstance(v, (dict, list, bool)) or v is None for v in values):
                continue
            for template in table.get(self.matching.key(_masked(live, signature)), ()):
                if all(self._explains(pattern, value)
                       for pattern, value in zip(template.patterns(), values)):
                    return self.matching.key_of_stored(template.stored, template.host)
        return None

    def _for_method(self, method: str | None) -> dict[Path, dict[str, list[_Template]]]:
        built = self._by_method.get(method or "")
        if built is None:
            built = {}
            prefix = f'"method":{json.dumps(method)}'
            for stored, host in self.stored:
                if "tillroll:" not in stored or prefix not in stored:
                    continue
                doc = json.loads(stored)
                if doc.get("method") != method:
                    continue
                doc["host"] = host
                holes = [(where, text) for where, text in _leaves(doc, self.matching.names) if _holds_pseudonym(text)]
                if not holes:
                    continue
                signature = tuple(where for where, _ in holes)
                masked = self.matching.key(_masked(doc, signature))
                built.setdefault(signature, {}).setdefault(masked, []).append(_Template(stored, host, holes))
            self._by_method[method or ""] = built
        return built

    def _explains(self, pattern: tuple[re.Pattern, list[tuple[str, str | None, str]]], value: Any) -> bool:
        regex, pseudonyms = pattern
        text = value if isinstance(value, str) else json.dumps(value)
        found = regex.fullmatch(text)
        if found is None:
            return False
        if self.redactor is None:
            return True
        return all(self._stands_for(clear, *p) for clear, p in zip(found.groups(), pseudonyms))

    def _stands_for(self, clear: str, pseudonym: str, last4: str | None, digest: str) -> bool:
        if clear == pseudonym:  # the live request's own capture made the same pseudonym
            return True
        for form in dict.fromkeys((clear, unquote_plus(clear), unquote(clear))):
            if last4 is not None:  # a card keeps its last four digits; the digest is of its digits
                digits = re.sub(r"\D", "", form)
                if digits.endswith(last4) and self.redactor.digest(digits) == digest:
                    return True
            elif self.redactor.digest(form) == digest:
                return True
        return False


def _holds_pseudonym(text: str) -> bool:
    return any(m.group(1) not in SECRET_LABELS for m in PSEUDONYM_PARTS.finditer(text))


def _pattern(text: str) -> tuple[re.Pattern, list[tuple[str, str | None, str]]]:
    parts, pseudonyms, last = [], [], 0
    for m in PSEUDONYM_PARTS.finditer(text):
        parts += [re.escape(text[last:m.start()]), "(.+?)"]
        pseudonyms.append((m.group(), m.group(2), m.group(3)))
        last = m.end()
    parts.append(re.escape(text[last:]))
    return re.compile("".join(parts), re.DOTALL), pseudonyms


def _leaves(doc: dict, names: tuple[str, ...]) -> Iterator[tuple[Path, str]]:
    """Every text value of the components *names* look at, with where it stands."""
    for component in _COMPONENTS:
        if component in names:
            yield from _walk(doc.get(component), (component,))


def _walk(value: Any, where: Path) -> Iterator[tuple[Path, str]]:
    stack = [(value, where)]
    while stack:  # iterative: a deep document must not exhaust the stack
        value, where = stack.pop()
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, dict):
            stack.extend((v, (*where, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(value))


_MISSING = object()


def _get(doc: Any, where: Path) -> Any:
    for step in where:
        if isinstance(doc, dict) and not isinstance(step, int):
            doc = doc.get(step, _MISSING)
        elif isinstance(doc, list) and isinstance(step, int) and step < len(doc):
            doc = doc[step]
        else:
            return _MISSING
    return doc


def _masked(doc: dict, signature: tuple[Path, ...]) -> dict:
    """A copy of *doc* with the value at every path of *signature* replaced by a hole."""
    out = copy.copy(doc)
    touched = {where[0] for where in signature}
    for component in touched:
        out[component] = copy.deepcopy(doc.get(component))
    for where in signature:
        if len(where) == 1:
            out[where[0]] = _HOLE
            continue
        parent = _get(out, where[:-1])
        parent[where[-1]] = _HOLE
    return out
