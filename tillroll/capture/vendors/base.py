"""What a vendor profile is: recognition, decoding, rules, volatile fields, outcome.

A profile works on a :class:`RequestView` (the request already parsed: query pairs,
JSON body, form) and never on secrets in clear beyond the call: it returns what it
understood, and redaction happens afterwards on everything, including its output.

A profile declares what it reads of a JSON body (:attr:`Profile.reads` of the request,
:attr:`Profile.outcome_reads` of the response) as key paths: ``{"RequestType": VALUE,
"Parameters": KIND, "outHTTP": {"body": {...}}}``. The compiled capture path then builds only
that of the body (``tillroll.capture._outline``): an undeclared member is absent, a ``KIND``
one an empty object or array of its kind (a scalar as it is). The pure path parses the
whole body, and the differential tests compare both; None declares nothing (the whole body
is parsed).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ..jsonish import NOT_JSON  # the one sentinel for "the body is not JSON"
from ..policy import Rule, rules

VALUE = True  # a member read whole
KIND = False  # a member read for its kind only (``isinstance``, ``in``, identity)
Reads = dict  # key paths: name -> VALUE, KIND or a nested Reads


def merge_reads(*declarations: Reads | None) -> Reads | None:
    """One declaration reading all of *declarations* (None when one of them is None)."""
    out: Reads = {}
    for declaration in declarations:
        if declaration is None:
            return None
        for name, read in declaration.items():
            known = out.get(name, KIND)
            if type(read) is dict and type(known) is dict:
                out[name] = merge_reads(known, read)
            elif read is VALUE or known is VALUE:
                out[name] = VALUE
            else:
                out[name] = read if type(read) is dict else known
    return out


@dataclasses.dataclass(slots=True)
class RequestView:
    method: str
    host: str
    path: str  # decoded path without the query
    query: list[tuple[str, str]]  # decoded pairs, in order, duplicates kept
    headers: list[tuple[str, str]]
    content_type: str | None
    json: Any = NOT_JSON  # the parsed JSON body (strictly or leniently parsed; what the profiles read)
    text: str | None = None  # the body as text, when it is text

    def header(self, name: str) -> str | None:
        name = name.lower()
        size = len(name)
        for k, v in self.headers:  # the length first: most names are not lowered at all
            if len(k) == size and k.lower() == name:
                return v
        return None

    def query_value(self, name: str) -> str | None:
        for k, v in self.query:
            if k == name:
                return v
        return None

    def json_object(self) -> dict | None:
        return self.json if isinstance(self.json, dict) else None


@dataclasses.dataclass(slots=True)
class VendorView:
    """What a profile understood of a request."""

    api: str | None = None
    operation: str | None = None
    params: Any = None  # JSON-able, before redaction
    params_encoding: str | None = None  # Parameters, Params, Body, query, json, outHTTP, xml, form
    path_template: str | None = None
    #: members stored in params_json beside *params* (an object) without being part of it:
    #: *params* stays the request body's own object, so its redacted text is cut from the
    #: stored body rather than redacted and encoded a second time (XGL's envelope fields)
    params_beside: dict | None = None


class Profile:
    """The base profile; subclasses override what their vendor documents."""

    name = "generic"
    docs = ""  # the vendor documentation this profile follows
    #: field rules by normalised name (secret / pii / drop / card / keep)
    field_rules: dict[str, Rule] = {}
    #: normalised names of fields that never take part in replay matching
    volatile: frozenset[str] = frozenset()
    #: normalised names of members holding Base64-encoded JSON (SPOT's legacy ``Body``)
    base64_json_fields: frozenset[str] = frozenset()
    #: what :meth:`recognise` and :meth:`decode` read of a JSON request body (None: anything)
    reads: Reads | None = None
    #: what :meth:`outcome` reads of a JSON response body (None: anything)
    outcome_reads: Reads | None = None

    def recognise(self, req: RequestView) -> int:
        """How sure this profile is that *req* is its vendor's, 0 (no) to 100."""
        return 0

    def decode(self, req: RequestView) -> VendorView:
        raise NotImplementedError

    def outcome(self, status: int | None, body: Any, error: str | None) -> tuple[str, str | None]:
        """``(ok|failed|error, message)`` from the status and the parsed response body."""
        return http_outcome(status, body, error)

    def rule(self, norm: str) -> Rule | None:
        return self.field_rules.get(norm)


def http_outcome(status: int | None, body: Any, error: str | None) -> tuple[str, str | None]:
    if status is None:
        return "error", error or "no response"
    if status >= 400:
        return "error", message_of(body) or f"HTTP {status}"
    return "ok", None


#: what :func:`message_of` reads (and so :func:`http_outcome`)
MESSAGE_READS: Reads = {key: VALUE for key in ("Message", "message", "error_description", "detail", "error",
                                               "errors")}


def message_of(body: Any) -> str | None:
    """A human error message from a parsed error body, if it has an obvious one."""
    if isinstance(body, dict):
        for key in MESSAGE_READS:
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:500]
            if isinstance(value, dict):
                inner = message_of(value)
                if inner:
                    return inner
            if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                return "; ".join(value)[:500]
    return None


_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{12,}|(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{16,})$"
)


def generic_template(path: str) -> str:
    """``/v1/orders/12345/items`` -> ``/v1/orders/{id}/items``."""
    return "/".join("{id}" if _ID_SEGMENT.match(seg) else seg for seg in path.split("/"))


__all__ = ["KIND", "MESSAGE_READS", "NOT_JSON", "VALUE", "Profile", "Reads", "RequestView", "VendorView",
           "generic_template", "http_outcome", "merge_reads", "message_of", "rules"]
