"""Synthetic exchanges shaped like the four vendors' traffic, for demos and benchmarks.

Deterministic for a given seed. Bodies are realistic JSON of roughly 1–4 KB. Values are
already what redaction would leave (pseudonyms, no secrets), as the store would hold them.
This is not the vendor sandbox: nothing here speaks HTTP.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
from typing import Iterator

from tillroll.store.exchange import Exchange

_JSON = "application/json; charset=utf-8"
_EPOCH = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.timezone.utc)


def generate(n: int, *, seed: int = 7, start: dt.datetime = _EPOCH, step_ms: float = 250.0) -> Iterator[Exchange]:
    """Yield *n* exchanges, one every *step_ms* (with jitter) from *start*."""
    rng = random.Random(seed)
    makers = (_spot, _spoton, _xgl, _spoonity)
    t = start
    for i in range(n):
        t += dt.timedelta(milliseconds=step_ms * (0.5 + rng.random()))
        yield makers[i % 4](rng, t, i)


def _headers(host: str, extra: list[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    return [("host", host), ("user-agent", "POS/4.2"), ("accept", "application/json"),
            ("content-type", "application/json"), *extra]


def _response_headers(length: int) -> list[tuple[str, str]]:
    return [("content-type", _JSON), ("content-length", str(length)), ("server", "vendor"),
            ("date", "Mon, 02 Nov 2026 06:00:00 GMT")]


def _finish(ex: Exchange, rng: random.Random, request: dict | None, response, status: int = 200) -> Exchange:
    if request is not None:
        ex.request_body = json.dumps(request).encode()
        ex.request_body_size = len(ex.request_body_text)
    body = json.dumps(response).encode()
    ex.response_body = body
    ex.response_body_size = len(body)
    ex.response_headers = _response_headers(len(body))
    ex.response_content_type = _JSON
    ex.status, ex.reason = status, "OK" if status == 200 else "Bad Request"
    ex.wait_ms = rng.lognormvariate(4.0, 0.6)
    ex.send_ms, ex.receive_ms = rng.random(), rng.random() * 3
    ex.duration_ms = ex.wait_ms + ex.send_ms + ex.receive_ms
    ex.redaction_policy, ex.redaction_key_id = "default", "k1a2b3c4"
    return ex


def _spot(rng: random.Random, t: dt.datetime, i: int) -> Exchange:
    op = rng.choice(["GetToken", "Login", "GetCustomer", "GetInvoices", "GetStoreList"])
    params = {"CustomerID": f"C{rng.randrange(10**6):06d}", "StartDate": "2026-10-01", "PageSize": 50}
    legacy = rng.random() < 0.1
    req = {"RequestType": op, "AccountKey": "ABCD1234", "UserAgent": "POS/4.2",
           "SessionID": f"tillroll:sessionid:{rng.getrandbits(64):016x}"}
    if legacy:
        req["Body"] = base64.b64encode(json.dumps(params).encode()).decode()
    else:
        req["Parameters"] = params
    failed = rng.random() < 0.03
    invoices = [{"InvoiceID": f"{rng.getrandbits(64):016x}", "Total": round(rng.random() * 80, 2),
                 "Status": "Ready", "Items": [{"Desc": "Shirt", "Qty": rng.randint(1, 6)}] * rng.randint(1, 4)}
                for _ in range(rng.randint(6, 16))]
    resp = {"Failed": failed, "Message": "Unable to load account." if failed else None,
            "MessageDetails": None, "ReturnObject": None if failed else {"Invoices": invoices}}
    ex = Exchange("POST", "https", "api.mydrycleaner.com", 443, "/q", t, http_version="HTTP/1.1",
                  request_headers=_headers("api.mydrycleaner.com"), request_content_type="application/json",
                  vendor="spot", api="CustomerConnect", operation=op, path_template="/q",
                  params_json=json.dumps(params), params_encoding="Body" if legacy else "Parameters",
                  outcome="failed" if failed else "ok",
                  outcome_message="Unable to load account." if failed else None,
                  redactions=[("request.json.SessionID", "spot.session_id")])
    return _finish(ex, rng, req, resp)


def _spoton(rng: random.Random, t: dt.datetime, i: int) -> Exchange:
    resource = rng.choice(["cash-deposits", "paid-in-outs"])
    loc = f"Location{rng.randint(1, 20)}"
    field = "updatedAt" if resource == "cash-deposits" else "createdAt"
    end = t - dt.timedelta(minutes=5)
    start = end - dt.timedelta(minutes=5)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    query = f"{field}Start={start.strftime(fmt)}&{field}End={end.strftime(fmt)}"
    rows = [{"id": f"{rng.getrandbits(60):015x}", "locationId": loc, "deleted": False,
             "amount": f"{rng.random() * 300:.2f}", "employeeId": f"{rng.getrandbits(60):015x}",
             "jobPositionId": f"{rng.getrandbits(60):015x}", "recordedAt": start.strftime(fmt),
             "lastUpdatedAt": end.strftime(fmt)} for _ in range(rng.randint(4, 14))]
    ex = Exchange("GET", "https", "restaurantapi.spoton.com", 443,
                  f"/posexport/v1/locations/{loc}/{resource}", t, query=query, http_version="HTTP/1.1",
                  request_headers=_headers("restaurantapi.spoton.com", [("x-api-key", "tillroll:x-api-key:9f3e")]),
                  vendor="spoton", api="posexport", operation=f"{resource}.list",
                  path_template=f"/posexport/v1/locations/{{locationId}}/{resource}",
                  params_json=json.dumps({"locationId": loc, f"{field}Start": start.strftime(fmt),
                                          f"{field}End": end.strftime(fmt)}),
                  params_encoding="query", redactions=[("request.header.x-api-key", "spoton.api_key")])
    return _finish(ex, rng, None, rows)


def _xgl(rng: random.Random, t: dt.datetime, i: int) -> Exchange:
    op = rng.choice(["identifyCustomers", "simulateAccrual", "redeemReward", "submitOrder", "voidOrder"])
    body = {"action_type": op, "application_version": "3.8.25", "clerk_id": "1001",
            "date_time": t.isoformat(), "terminal_id": "T01", "terminal_txn_id": str(i),
            "transaction_token": f"{rng.getrandbits(40):010d}", "integrator_name": "xpos",
            "order": {"items": [{"name": "Medium Coffee", "price": 4.75, "quantity": 1}] * rng.randint(1, 5)}}
    req = {"outHTTP": {"body": body, "headers": {"x-company-id": "C1", "x-site-ids": "S1"},
                       "method": "POST", "path": "/api/xgl"}}
    resp = {"server_date_time": t.isoformat(), "host_txn_id": str(i),
            "merchant_data": {"name": "Provider", "response_code": 200, "response_name": "authorizedSuccess"},
            "customers": [{"information": {"first_name": "tillroll:pii:1a2b", "email": "tillroll:pii:3c4d"},
                           "balance": [{"balance": rng.randint(0, 50000), "name": "Points"}],
                           "rewards": [{"id": str(r), "name": "Medium Drink", "associated_points": 200,
                                        "reward_type": "reward", "status": "active", "qualified": True}
                                       for r in range(rng.randint(4, 16))]}]}
    ex = Exchange("POST", "https", "xgl.xenial.com", 443, "/api/xgl", t, http_version="HTTP/1.1",
                  request_headers=_headers("xgl.xenial.com", [("x-company-id", "C1"), ("x-site-ids", "S1")]),
                  request_content_type="application/json", vendor="xgl", api="xgl", operation=op,
                  path_template="/api/xgl", params_json=json.dumps(body), params_encoding="json",
                  redactions=[("response.json.customers[0].information.email", "pii.email")])
    return _finish(ex, rng, req, resp)


def _spoonity(rng: random.Random, t: dt.datetime, i: int) -> Exchange:
    op, method, path = rng.choice([("order.process", "POST", "/order"), ("order.void", "DELETE", "/order"),
                                   ("gift-card", "POST", "/order/gift-card"),
                                   ("payment.loyalty", "POST", "/order/payments/loyalty")])
    req = {"card_number": "tillroll:card:5c7e", "till": 1, "receipt_number": f"R-{i}", "subtotal": 10,
           "total": 10, "payment_method": "CASH", "date": int(t.timestamp()),
           "line_items": [{"id": "sku1", "name": "Latte", "price": 5, "quantity": 2}] * rng.randint(1, 6)}
    ok = rng.random() > 0.05
    resp = {"reference_number": str(17074524 + i), "success": ok,
            "receipt_data": {"lines": ["100 points added"], "user": {"id": "582846", "balances": [
                {"id": 961, "currency": "Points", "balance": rng.randint(0, 10000), "type": "Loyalty"}]}},
            "error": {"errors": [] if ok else ["Insufficient balance"], "code": None, "reference_id": None}}
    resp["receipt_data"]["points"] = [{"currency": {"id": 961, "name": "Points"}, "amount": 10 * k,
                                       "expiryDate": None} for k in range(rng.randint(2, 12))]
    ex = Exchange(method, "https", "api.spoonity.com", 443, path, t, query="api_key=tillroll:api_key:77aa",
                  http_version="HTTP/1.1", request_headers=_headers("api.spoonity.com"),
                  request_content_type="application/json", vendor="spoonity", api="order", operation=op,
                  path_template=path, params_json=json.dumps(req), params_encoding="json",
                  outcome="ok" if ok else "failed", outcome_message=None if ok else "Insufficient balance",
                  redactions=[("request.query.api_key", "spoonity.api_key")])
    return _finish(ex, rng, req, resp)
