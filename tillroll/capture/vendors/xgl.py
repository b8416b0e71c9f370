"""Xenial loyalty gateway (XGL).

Every request names its operation in ``action_type``, either in the bare body or inside
the ``outHTTP`` envelope (``{"outHTTP": {"body": {...}, "headers": {...}, ...}}``).
``x-company-id`` and ``x-site-ids`` are identifiers. Customer names, email, phone,
addresses and birth dates are PII; card and loyalty card numbers are cards. The outcome
is ``merchant_data.response_name`` / ``response_code``.
"""

from __future__ import annotations

from typing import Any

from .base import Profile, RequestView, VendorView, http_outcome, rules

OK_NAMES = {"success", "authorizedsuccess", "approved", "ok"}


class Xgl(Profile):
    name = "xgl"
    docs = "Xenial Loyalty Gateway sample code"
    field_rules = rules({
        "pii": ["first_name", "last_name", "middle_name", "customer_name", "email", "phone", "address",
                "formatted_address", "address_1", "address_2", "birth_date", "paid_out_by_name",
                "latitude", "longitude"],
        "card": ["card_number", "loyalty_card_number"],
        "keep": ["x-company-id", "x-site-ids", "action_type", "transaction_token", "terminal_txn_id",
                 "host_txn_id", "check_id", "authorization_code", "customer_id", "hash_code"],
    }, "xgl")
    volatile = frozenset({"datetime", "localdate", "localtime", "receiptdatetime", "terminaltxnid",
                          "transactiontoken", "serverdatetime", "hashcode", "businessdate", "createdat",
                          "updatedat", "time"})

    def recognise(self, req: RequestView) -> int:
        body, _ = _envelope(req.json)
        score = 0
        if isinstance(body, dict) and "action_type" in body:
            score += 70
        if req.path.rstrip("/").endswith("/xgl"):
            score += 30
        if req.header("x-company-id") is not None or "xenial" in req.host:
            score += 20
        return min(score, 100)

    def decode(self, req: RequestView) -> VendorView:
        body, encoding = _envelope(req.json)
        operation = body.get("action_type") if isinstance(body, dict) else None
        return VendorView(api="xgl", operation=operation if isinstance(operation, str) else None,
                          params=body if isinstance(body, dict) else None, params_encoding=encoding,
                          path_template=req.path)

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
        return "ok", None


def _envelope(doc: Any) -> tuple[Any, str]:
    if isinstance(doc, dict) and isinstance(doc.get("outHTTP"), dict) and "body" in doc["outHTTP"]:
        return doc["outHTTP"]["body"], "outHTTP"
    return doc, "json"


PROFILE = Xgl()
