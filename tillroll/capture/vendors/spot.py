"""SPOT (XplorSPOT), the dry-cleaner POS API.

Endpoints ``/f`` (Franchise), ``/q`` (CustomerConnect), ``/g`` (CustomerConnect GET
actions, parameters in the query), ``/r`` (External Order Data), ``/k`` (Kiosk). Every
request names its operation in ``RequestType``; parameters come as a ``Parameters`` (or
``Params``) object or, the legacy way, as Base64 JSON in ``Body``. ``AccountKey`` is an
identifier; ``SecurityID``, ``SessionID`` and ``Password`` are secrets wherever they
appear. A 200 can still be a failure: ``"Failed": true`` with a ``Message``.

The outcome message is what the vendor said: ``Message``, then ``MessageDetails`` (the
"advanced message details" of server-side errors) in parentheses. A failing status with no
``Message`` gets the documented meaning of that status ("Common Response Object"), so a 401
reads "a function that requires a logged in customer" rather than a bare number.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from ..redact import decode_base64_json
from .base import (
    KIND,
    MESSAGE_READS,
    VALUE,
    Profile,
    Reads,
    RequestView,
    VendorView,
    http_outcome,
    merge_reads,
    rules,
)

APIS = {"f": "Franchise", "q": "CustomerConnect", "g": "CustomerConnect GET", "r": "External Order Data",
        "k": "Kiosk"}
ENVELOPE = {"RequestType", "AccountKey", "SecurityID", "SessionID", "UserAgent", "Parameters", "Params", "Body"}
_ENDPOINT = re.compile(r"(?:^|/)(?P<ep>[fqgrk])/?$")
#: "Common Response Object": what each documented status means.
STATUS_MEANINGS = {
    400: "Bad Request - Invalid request or request body",
    401: "Unauthorized - Attempting to use a function that requires a logged in customer (Login first)",
    500: "Internal Server Error - Unexpected error",
}
_XML_TYPE = re.compile(r"<RequestType>\s*([^<\s]+)\s*</RequestType>")


class Spot(Profile):
    name = "spot"
    docs = "SPOT Public API (XplorSPOT), 'Making A Request'"
    field_rules = rules({
        "secret": ["SecurityID", "SessionID", "PublishableID"],
        "drop": ["Password", "NewPassword", "OldPassword", "CurrentPassword"],
        "pii": ["UserName", "EmailAddress", "Email", "FirstName", "LastName", "Phone", "PhoneNumber",
                "CellPhone", "HomePhone", "Address1", "Address2", "Address", "BirthDate", "Birthday"],
        "keep": ["AccountKey", "RequestType", "UserAgent", "CustomerID", "InvoiceID", "StoreID", "LockerID"],
    }, "spot")
    volatile = frozenset({"sessionid", "securityid", "useragent", "timestamp", "requestdate"})
    base64_json_fields = frozenset({"body"})
    reads: ClassVar[Reads] = {"RequestType": VALUE, "AccountKey": KIND, "Parameters": KIND, "Params": KIND, "Body": VALUE}
    outcome_reads = merge_reads(MESSAGE_READS, {"Failed": VALUE, "Message": VALUE, "MessageDetails": VALUE})

    def recognise(self, req: RequestView) -> int:
        body = req.json_object()
        score = 0
        if "mydrycleaner" in req.host or "spotpos" in req.host:
            score += 60
        if _ENDPOINT.search(req.path):
            score += 20
        if body is not None and "RequestType" in body:
            score += 50 + (20 if "AccountKey" in body else 0)
        elif req.query_value("RequestType") is not None or _xml_type(req.text):
            score += 50
        return min(score, 100)

    def decode(self, req: RequestView) -> VendorView:
        m = _ENDPOINT.search(req.path)
        endpoint = m.group("ep") if m else None
        view = VendorView(api=APIS.get(endpoint, "SPOT"), path_template=req.path or "/")
        body = req.json_object()
        if body is not None:
            view.operation = _str(body.get("RequestType"))
            for member in ("Parameters", "Params"):
                if isinstance(body.get(member), (dict, list)):
                    view.params, view.params_encoding = body[member], member
                    break
            else:
                if isinstance(body.get("Body"), str) and body["Body"]:
                    decoded = decode_base64_json(body["Body"])
                    view.params_encoding = "Body"
                    view.params = decoded if decoded is not None else {"Body": body["Body"]}
        elif req.query:
            view.operation = req.query_value("RequestType")
            view.params = {k: v for k, v in req.query if k not in ENVELOPE}
            view.params_encoding = "query"
        elif xml := _xml_type(req.text):
            view.operation, view.params_encoding = xml.group(1), "xml"
        return view

    def outcome(self, status: int | None, body: Any, error: str | None) -> tuple[str, str | None]:
        said = vendor_message(body)
        if isinstance(body, dict) and body.get("Failed") is True:
            failed = "error" if status is not None and status >= 400 else "failed"
            return failed, said or _status_meaning(status) or "Failed"
        if status is None:
            return http_outcome(status, body, error)
        if status >= 400:
            return "error", said or _status_meaning(status) or http_outcome(status, body, error)[1]
        return "ok", None


def _xml_type(text: str | None) -> re.Match | None:
    """``<RequestType>`` of an XML body (a substring search first: most bodies are JSON)."""
    return _XML_TYPE.search(text) if text and "</RequestType>" in text else None


def _status_meaning(status: int | None) -> str | None:
    return f"HTTP {status}: {STATUS_MEANINGS[status]}" if status in STATUS_MEANINGS else None


def vendor_message(body: Any) -> str | None:
    """``Message`` and ``MessageDetails`` of a common response object, as one sentence (at
    most 500 characters: details can be a server's stack trace)."""
    if not isinstance(body, dict):
        return None
    message = _str(body.get("Message"))
    details = _str(body.get("MessageDetails"))
    if message and details and details.strip() != message.strip():
        return f"{message} ({details})"[:500]
    return (message or details or "")[:500] or None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


PROFILE = Spot()
