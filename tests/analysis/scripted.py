"""A scripted day of traffic with known answers, written through the real capture and store.

Clean by default; each name in *violations* plants one broken vendor rule. Times are
exact, so reports can be checked to the second.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

from tests.samples import exchange, redactor
from tillroll.capture import capture
from tillroll.capture.match_doc import match_key
from tillroll.store import CassetteWriter

DAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)
POLLS = 36  # SpotOn cash deposits every 5 minutes from 09:00 to 11:55
GAP_POLLS = range(10, 18)  # with "gap": these 8 polls are not made: a 40-minute hole
VIOLATIONS = ("gap", "long-window", "recent-end", "start-after-end", "securityid", "legacy-body",
              "expired-session", "void-order", "duplicate-receipt", "xgl-void")
SESSION = "sess-scripted-0123456789"


def at(minutes: float) -> dt.datetime:
    return DAY + dt.timedelta(minutes=minutes)


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def spoton(t: dt.datetime, start: dt.datetime, end: dt.datetime, resource: str = "cash-deposits",
           status: int = 200):
    field = "updatedAt" if resource == "cash-deposits" else "createdAt"
    query = f"{field}Start={iso(start)}&{field}End={iso(end)}"
    return t, exchange("GET", "api.spoton.com", f"/posexport/v1/locations/LOC-1/{resource}", query=query,
                       headers=[("x-api-key", "spoton-key-0123456789")], status=status, response=b"[]")


def spot(t: dt.datetime, request_type: str, *, session: str | None = SESSION, security: bool = False,
         parameters: dict | None = None, legacy: bool = False, response: dict | None = None):
    body = {"RequestType": request_type, "AccountKey": "ABCD1234", "UserAgent": "POS 4.2 (scripted)"}
    if session:
        body["SessionID"] = session
    if security:
        body["SecurityID"] = "6AA3154B-0000-4000-8000-000000000001"
    if parameters is not None:
        if legacy:
            body["Body"] = base64.b64encode(json.dumps(parameters).encode()).decode()
        else:
            body["Parameters"] = parameters
    return t, exchange("POST", "api.mydrycleaner.com", "/q", body=json.dumps(body).encode(),
                       response=json.dumps(response or {"Failed": False, "ReturnObject": {}}).encode())


def spoonity(t: dt.datetime, operation: str, receipt: str, reference: str, *, ok: bool = True):
    if operation == "order.void":
        return t, exchange("DELETE", "api.spoonity.com", "/order", query="api_key=spoonity-key-0123456789",
                           body=json.dumps({"receipt": reference}).encode(),
                           response=json.dumps({"voided": ok}).encode())
    body = {"card_number": "ann@example.com", "till": 1, "receipt_number": receipt, "subtotal": 10, "taxes": [],
            "total": 10, "payment_method": "CASH", "date": 1762074000, "cashier": {"id": "c-1", "name": "Ann"},
            "line_items": [], "discounts": []}
    return t, exchange("POST", "api.spoonity.com", "/order", query="api_key=spoonity-key-0123456789",
                       body=json.dumps(body).encode(),
                       response=json.dumps({"success": ok, "reference_number": reference}).encode())


def xgl(t: dt.datetime, action: str, order_id: str):
    body = {"action_type": action, "transaction_token": f"t-{order_id}", "order": {"_id": order_id, "total": 5}}
    return t, exchange("POST", "xgl.example.com", "/api/xgl", body=json.dumps(body).encode(),
                       headers=[("Content-Type", "application/json"), ("x-company-id", "COMP-1"),
                                ("x-site-ids", "SITE-1")],
                       response=b'{"merchant_data": {"response_name": "OK", "response_code": 0}}')


def day(violations: set[str] | frozenset[str] = frozenset()) -> list:
    """``(started_at, raw exchange)`` pairs of the scripted day."""
    unknown = set(violations) - set(VIOLATIONS)
    assert not unknown, unknown
    v = set(violations)
    out = []
    for i in range(POLLS):  # every 5 minutes, the window ending 5 minutes before the request
        if "gap" in v and i in GAP_POLLS:
            continue
        t = at(10 + 5 * i)
        out.append(spoton(t, t - dt.timedelta(minutes=10), t - dt.timedelta(minutes=5)))
    out.append(spoton(at(5), at(-26 * 60), at(0)))  # the daily 26-hour sweep, at the start of the day
    if "long-window" in v:
        out.append(spoton(at(201), at(201) - dt.timedelta(days=8), at(196), status=400))
    if "recent-end" in v:
        out.append(spoton(at(202), at(190), at(201)))
    if "start-after-end" in v:
        out.append(spoton(at(203), at(190), at(180), status=400))

    out.append(spot(at(1), "GetToken", session=None, security=True,
                    response={"Failed": False, "ReturnObject": {"SessionID": SESSION}}))
    out.append(spot(at(2), "GetCustomer", parameters={"CustomerID": "C-1"}, security="securityid" in v))
    out.append(spot(at(3), "GetInvoices", parameters={"CustomerID": "C-1"}, legacy="legacy-body" in v))
    out.append(spot(at(24 if "expired-session" in v else 10), "GetInvoices", parameters={"CustomerID": "C-2"},
                    response={"Failed": True, "Message": "Unable to load account."}))

    out.append(spoonity(at(30), "order.process", "R-1", "9001"))
    out.append(spoonity(at(31), "order.process", "R-2", "9002"))
    out.append(spoonity(at(32), "order.void", "", "9001" if "void-order" in v else "9002"))
    if "duplicate-receipt" in v:
        out.append(spoonity(at(33), "order.process", "R-1", "9003", ok=False))

    out.append(xgl(at(40), "submitOrder", "O-1"))
    out.append(xgl(at(41), "voidOrder", "O-2" if "xgl-void" in v else "O-1"))
    return sorted(out, key=lambda pair: pair[0])


def write_day(path: Path, violations=frozenset(), durations_ms=None) -> Path:
    r = redactor()
    writer = CassetteWriter(path)
    for i, (t, raw) in enumerate(day(violations)):
        raw.started_at = t
        raw.duration_ms = durations_ms(i) if durations_ms else 10.0 + i
        ex = capture(raw, r)
        ex.match_key = match_key(ex, r)
        writer.append(ex)
    writer.close()
    return path
