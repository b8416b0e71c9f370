"""Xenial loyalty gateway (XGL).

Every request names its operation in ``action_type``, either in the bare body or inside
the ``outHTTP`` envelope (``{"outHTTP": {"body": {...}, "headers": {...}, ...}}``).
The envelope's own ``headers`` (``x-company-id``, ``x-site-ids``), ``host``, ``method`` and
``path`` are decoded into the params under ``outHTTP`` (header names lower-cased, the body
itself left out), so enveloped traffic names its company and sites as bare traffic does.
``x-company-id`` and ``x-site-ids`` are identifiers. Customer names, email, phone,
addresses, birth dates, the employee who printed a receipt (``printed_by``) and the site's
``geo.coordinates`` are PII; card and loyalty card numbers are cards.

The outcome is ``merchant_data.response_name`` / ``response_code`` (``failed`` when the
whole request was refused), then the ``declined_rewards`` (under ``rewards_data``),
``declined_balance`` and ``declined_reverse`` entries an authorised answer can carry:
any of them makes it ``partial``, with ``"<error_code>: <error_message>"`` as the message.
"""

from __future__ import annotations

from typing import Any, ClassVar

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

OK_NAMES = {"success", "authorizedsuccess", "approved", "ok"}


class Xgl(Profile):
    name = "xgl"
    docs = "Xenial Loyalty Gateway sample code"
    field_rules = rules({
        "pii": ["first_name", "last_name", "middle_name", "customer_name", "email", "phone", "address",
                "formatted_address", "address_1", "address_2", "birth_date", "paid_out_by_name",
                "latitude", "longitude", "coordinates", "printed_by"],
        "card": ["card_number", "loyalty_card_number"],
        "keep": ["x-company-id", "x-site-ids", "action_type", "transaction_token", "terminal_txn_id",
                 "host_txn_id", "check_id", "authorization_code", "customer_id", "hash_code"],
    }, "xgl")
    volatile = frozenset({"datetime", "localdate", "localtime", "receiptdatetime", "terminaltxnid",
                          "transactiontoken", "serverdatetime", "hashcode", "businessdate", "createdat",
                          "updatedat", "time",
                          # the envelope's transport (decoded under params.outHTTP): a request is the
                          # same call whatever the envelope says, and recordings made before it was
                          # decoded must keep matching
                          "outhttp"})
    # the bare body's action, or the envelope's: its body's action and members, its transport
    reads: ClassVar[Reads] = {"action_type": VALUE, "outHTTP": {"body": {"action_type": VALUE, "outHTTP": KIND}, "headers": VALUE,
                                               "host": VALUE, "method": VALUE, "path": VALUE}}
    outcome_reads = merge_reads(MESSAGE_READS, {"merchant_data": VALUE, "declined_balance": VALUE,
                                                "declined_reverse": VALUE, "declined_rewards": VALUE,
                                                "rewards_data": {"declined_rewards": VALUE}})

    def recognise(self, req: RequestView) -> int:
        body, encoding = _envelope(req.json)
        score = 0
        if isinstance(body, dict) and "action_type" in body:
            score += 70
        elif encoding == "outHTTP":  # the envelope is Xenial's own, even around a body missing its action
            score += 50
        if req.path.rstrip("/").endswith(("/xgl", "/CustomLoyaltyAdapter")):
            score += 30
        if req.header("x-company-id") is not None or "xenial" in req.host:
            score += 20
        return min(score, 100)

    def decode(self, req: RequestView) -> VendorView:
        body, encoding = _envelope(req.json)
        operation = body.get("action_type") if isinstance(body, dict) else None
        params = body if isinstance(body, dict) else None
        beside = None
        if params is not None and encoding == "outHTTP" and "outHTTP" not in params:
            beside = {"outHTTP": _envelope_fields(req.json["outHTTP"])}
        return VendorView(api="xgl", operation=operation if isinstance(operation, str) else None,
                          params=params, params_encoding=encoding, path_template=req.path, params_beside=beside)

    def outcome(self, status: int | None, body: Any, error: str | None) -> tuple[str, str | None]:
        if status is None or status >= 400:
            return http_outcome(status, body, error)
        merchant = body.get("merchant_data") if isinstance(body, dict) else None
        if not isinstance(merchant, dict):
            return "ok", None
        name = str(merchant.get("response_name") or "")
        code = merchant.get("response_code")
        failed = (name and name.lower() not in OK_NAMES) or (isinstance(code, int) and code >= 400)
        if failed:
            return "failed", str(merchant.get("response_message") or name or code)
        declines = _declines(body)
        if declines:
            return "partial", "; ".join(dict.fromkeys(declines))[:500]
        return "ok", None


def _envelope(doc: Any) -> tuple[Any, str]:
    if isinstance(doc, dict) and isinstance(doc.get("outHTTP"), dict) and "body" in doc["outHTTP"]:
        return doc["outHTTP"]["body"], "outHTTP"
    return doc, "json"


def _envelope_fields(envelope: dict) -> dict[str, Any]:
    """The envelope without its body: headers (names lower-cased), host, method, path."""
    out: dict[str, Any] = {}
    headers = envelope.get("headers")
    if isinstance(headers, dict):
        out["headers"] = {str(k).lower(): v for k, v in headers.items()}
    for key in ("host", "method", "path"):
        if key in envelope:
            out[key] = envelope[key]
    return out


#: Where an authorised answer lists what it declined: (container or None for the top level, member).
DECLINE_LISTS = ((None, "declined_balance"), (None, "declined_reverse"), ("rewards_data", "declined_rewards"),
                 (None, "declined_rewards"))


def _declines(body: dict) -> list[str]:
    """``"<error_code>: <error_message>"`` of every declined entry of a response, in order."""
    out = []
    for container, member in DECLINE_LISTS:
        holder = body.get(container) if container else body
        entries = holder.get(member) if isinstance(holder, dict) else None
        if not isinstance(entries, list):
            continue
        for entry in entries:
            out.append(_decline_message(entry, member))
    return out


def _decline_message(entry: Any, member: str) -> str:
    error = entry.get("error") if isinstance(entry, dict) else None
    source = error if isinstance(error, dict) else entry if isinstance(entry, dict) else {}
    code, message = source.get("error_code"), source.get("error_message")
    if code is None and message is None:
        return f"{member}: no error given"
    return ": ".join(str(part) for part in (code, message) if part is not None)


PROFILE = Xgl()
