"""Spoonity order API: orders, gift cards (quick pay), loyalty payments, voids.

The ``api_key`` query parameter is a secret. ``card_number`` identifies the customer and
may be an email, a phone number or a card number: all are redacted (cards keep their
last four digits). The outcome is ``success`` (a boolean, or the string ``"false"``) and
``error``; a void answers ``voided``. ``error.reference_id`` is kept in the outcome
message: it is what identifies the failure to Spoonity. ``DELETE onscreen_close``, which
the docs say "often" follows an order "to close the session", is ``session.close``.
The documented calls use ``curl -G -d '{json}'``, which sends the JSON in the query
string: such a query is decoded as the JSON body it was meant to be.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .. import jsonish
from .base import (
    KIND,
    MESSAGE_READS,
    NOT_JSON,
    VALUE,
    Profile,
    Reads,
    RequestView,
    VendorView,
    http_outcome,
    merge_reads,
    rules,
)


class Spoonity(Profile):
    name = "spoonity"
    docs = "Spoonity Order API"
    field_rules = rules({
        "secret": ["api_key"],
        "card": ["card_number"],
        "keep": ["receipt_number", "reference_number", "receipt", "transaction_id", "till"],
    }, "spoonity")
    volatile = frozenset({"date"})
    reads: ClassVar[Reads] = {"card_number": KIND, "receipt": KIND, "amount": KIND, "subtotal": KIND}  # the body is the parameters
    outcome_reads = merge_reads(MESSAGE_READS, {"voided": VALUE, "success": VALUE, "error": VALUE})

    def recognise(self, req: RequestView) -> int:
        score = 60 if "spoonity" in req.host else 0
        if req.path.rstrip("/").endswith(("/order", "/order/payments/loyalty", "/gift-card", "/onscreen_close")):
            score += 20
        if req.query_value("api_key") is not None:
            score += 20
        body = _body(req)
        if isinstance(body, dict) and ("card_number" in body or "receipt" in body):
            score += 30
        return min(score, 100)

    def decode(self, req: RequestView) -> VendorView:
        body = _body(req)
        encoding = "json" if req.json is not NOT_JSON else ("query-json" if body is not None else None)
        path = req.path.rstrip("/") or "/"
        if req.method == "DELETE" and path.endswith("/order"):
            operation = "order.void"
        elif path.endswith("/payments/loyalty"):
            operation = "payment.loyalty"
        elif "gift" in path or (isinstance(body, dict) and "amount" in body and "subtotal" not in body):
            operation = "gift-card"
        elif path.endswith("/order"):
            operation = "order.process"
        elif path.endswith("/onscreen_close"):
            operation = "session.close"
        else:
            operation = f"{req.method} {path.rsplit('/', 1)[-1] or '/'}"
        params = body if body is not None else {k: v for k, v in req.query if k != "api_key"} or None
        return VendorView(api="order", operation=operation, params=params,
                          params_encoding=encoding or ("query" if params else None), path_template=path)

    def outcome(self, status: int | None, body: Any, error: str | None) -> tuple[str, str | None]:
        if status is None or status >= 400:
            return http_outcome(status, body, error)
        if not isinstance(body, dict):
            return "ok", None
        if "voided" in body and not _truthy(body["voided"]):
            return "failed", _error_message(body, "order was not voided")
        if "success" in body and not _truthy(body["success"]):
            return "failed", _error_message(body, "success: false")
        return "ok", None


def _error_message(body: dict, default: str) -> str:
    """``error.errors`` joined, else ``error.code``, else *default*; with ``error.reference_id``
    when Spoonity gave one (support asks for it)."""
    err = body.get("error") if isinstance(body.get("error"), dict) else {}
    errors = err.get("errors") if isinstance(err.get("errors"), list) else []
    message = "; ".join(str(e) for e in errors) if errors else str(err.get("code") or default)
    reference = err.get("reference_id")
    if reference not in (None, ""):
        message += f" (reference_id {reference})"
    return message[:500]


def _body(req: RequestView) -> Any:
    if req.json is not NOT_JSON:
        return req.json
    for key, value in req.query:  # curl -G -d '{...}': the JSON became a query key
        if key.lstrip().startswith("{") and not value:
            try:
                return jsonish.loads(key)
            except ValueError:
                return None
    return None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true") or value == 1


PROFILE = Spoonity()
