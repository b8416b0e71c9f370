"""A scripted POS day against the four vendors, as a point of sale would drive them.

Used by ``tillroll demo``, the sample cassettes, the end-to-end tests and the proxy
benchmark. It talks plain HTTP(S) with the standard library (``urllib``), either to a
base URL (the sandbox, or a reverse proxy in front of it) or through an HTTP proxy.
Every call is bounded by a timeout. The script includes what real days include: a
legacy Base64 ``Body``, a SPOT session that idles past 20 minutes, a request for an
unknown account, a SpotOn window that is too long, an XGL void of an order never
submitted, a Spoonity void out of order and a duplicate receipt.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import ssl
import urllib.error
import urllib.request
from typing import Any, Callable
from urllib.parse import urlencode

from tillroll.sandbox import credentials as creds

SPOONITY_ORDER = {
    "card_number": creds.SPOONITY_CARD, "till": 1, "receipt_number": "", "subtotal": 10, "taxes": [],
    "total": 10, "payment_method": "CASH", "date": "1422901482", "cashier": {"id": "_tony_", "name": "Tony"},
    "line_items": [{"id": "__unknown_id", "name": "Unknown product", "categories": [], "discounts": [],
                    "price": 10, "quantity": 1, "modifiers": []}],
    "discounts": [],
}
XGL_TENANT = {"x-company-id": creds.XGL_COMPANY_ID, "x-site-ids": creds.XGL_SITE_IDS}
JOHN = {"phone_number": "1111111111"}


@dataclasses.dataclass
class Client:
    """Sends requests to *base_url*, optionally through an HTTP *proxy*; records the calls."""

    base_url: str
    proxy: str | None = None
    ssl_context: ssl.SSLContext | None = None
    timeout: float = 15.0
    calls: list[tuple[str, str, int]] = dataclasses.field(default_factory=list)

    def request(self, method: str, path: str, *, query: dict | None = None, json_body: Any = None,
                headers: dict | None = None, raw: bytes | None = None) -> tuple[int, Any]:
        url = self.base_url.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")
        data = raw if raw is not None else (json.dumps(json_body).encode() if json_body is not None else None)
        req = urllib.request.Request(url, data=data, method=method, headers={
            "User-Agent": "tillroll-pos-day/1.0", "Accept": "application/json",
            **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
        handlers: list = [urllib.request.ProxyHandler({"http": self.proxy, "https": self.proxy} if self.proxy else {})]
        if self.ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=self.ssl_context))
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(req, timeout=self.timeout) as resp:
                status, body = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, body = err.code, err.read()
        self.calls.append((method, path, status))
        try:
            return status, json.loads(body) if body else None
        except ValueError:
            return status, body


def run_pos_day(client: Client, *, advance_clock: Callable[[float], None] | None = None,
                now: Callable[[], dt.datetime] | None = None, lookups: bool = True) -> list[tuple[str, str, int]]:
    """Drive one POS day through *client*; return ``(method, path, status)`` per call.

    *advance_clock* moves the sandbox's clock (to let a SPOT session expire) and *now*
    reads it (for SpotOn windows); without them the session step and windows use real time.
    *lookups*: the customer lookups by a value that the response lists as PII (a phone
    number, an email), each made twice; cassettes recorded before December 2026 have none.
    """
    now = now or (lambda: dt.datetime.now(dt.timezone.utc))
    _spot(client, advance_clock, lookups)
    _spoton(client, now())
    _xgl(client, lookups)
    _spoonity(client, lookups)
    return client.calls


def _spot(c: Client, advance_clock: Callable[[float], None] | None, lookups: bool) -> None:
    def spot(request_type: str, endpoint: str = "q", **fields):
        doc = {"RequestType": request_type, "AccountKey": creds.ACCOUNT_KEY, "UserAgent": "POS 4.2 (tillroll demo)",
               **fields}
        return c.request("POST", f"/{endpoint}", json_body=doc)

    _, token = spot("GetToken", SecurityID=creds.SECURITY_ID)
    session = token["ReturnObject"]["SessionID"]
    _, login = spot("Login", SessionID=session,
                    Parameters={"UserName": creds.USERNAME, "Password": creds.PASSWORD})
    session = login["ReturnObject"]["SessionID"]
    spot("GetCustomer", SessionID=session)
    for _ in range(2 if lookups else 0):  # the front counter looks the customer up by email, then phone
        spot("FindCustomer", "f", SessionID=session, Parameters={"Search": creds.USERNAME})
        spot("FindCustomer", "f", SessionID=session, Parameters={"Search": "801-555-0134"})
    spot("GetInvoices", SessionID=session, Params={})
    locker = {"LockerID": "00000000-0000-0000-0000-000000000000",
              "InvoiceIDList": "00000000-0000-0000-0000-000000000000", "EventType": "D", "Comments": "bag 2"}
    spot("LockerEvent", "r", SessionID=session, Body=base64.b64encode(json.dumps(locker).encode()).decode())
    c.request("GET", "/g", query={"RequestType": "GetStoreList", "ID": creds.PUBLISHABLE_ID})
    c.request("POST", "/q", json_body={"RequestType": "GetToken", "AccountKey": "NOSUCHACCOUNT",
                                       "SecurityID": creds.SECURITY_ID, "UserAgent": "POS 4.2"})
    if advance_clock is not None:  # the POS idles past the 20-minute session expiry
        advance_clock(21 * 60)
        spot("GetInvoices", SessionID=session, Parameters={})


def _spoton(c: Client, now: dt.datetime) -> None:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    key = {"x-api-key": creds.SPOTON_API_KEY}
    end = (now - dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    for minutes in (10, 5):  # two 5-minute polls with a 5-minute lag
        window_end = end - dt.timedelta(minutes=minutes - 5)
        start = window_end - dt.timedelta(minutes=5)
        c.request("GET", "/posexport/v1/locations/LocationX/cash-deposits", headers=key,
                  query={"updatedAtStart": start.strftime(fmt), "updatedAtEnd": window_end.strftime(fmt)})
    status, rows = c.request("GET", "/posexport/v1/locations/LocationX/paid-in-outs", headers=key,
                             query={"createdAtStart": (end - dt.timedelta(days=3)).strftime(fmt),
                                    "createdAtEnd": end.strftime(fmt)})
    if status == 200 and rows:
        c.request("GET", f"/posexport/v1/locations/LocationX/paid-in-outs/{rows[0]['id']}", headers=key)
    c.request("GET", "/posexport/v1/locations/LocationX/cash-deposits", headers=key,  # 8 days: a 400
              query={"updatedAtStart": (end - dt.timedelta(days=8)).strftime(fmt), "updatedAtEnd": end.strftime(fmt)})


def _xgl(c: Client, lookups: bool) -> None:
    def xgl(body: dict):
        doc = {"outHTTP": {"body": body, "headers": {}, "method": "POST", "path": "/api/xgl"}}
        return c.request("POST", "/api/xgl", json_body=doc, headers=XGL_TENANT)

    customer = {"id": "123456", "phone": "1111111111"}
    xgl({"action_type": "identifyCustomers", "transaction_token": "t-1001", **JOHN})
    # a scanned or typed identifier: the phone number the response lists as the customer's phone
    if lookups:
        xgl({"action_type": "identifyCustomers", "transaction_token": "t-1001", "customer_id": JOHN["phone_number"]})
    order = {"_id": "order-1001", "subtotal": 12.5, "total": 12.5,
             "items": [{"name": "Medium Coffee", "product_id": "101", "price": 4.75, "order_item_id": "item-1"}],
             "customer": {"loyalty_info": {"customer": customer, "offers": []}}}
    xgl({"action_type": "simulateAccrual", "transaction_token": "t-1001", "order": order})
    xgl({"action_type": "submitOrder", "transaction_token": "t-1001", "order": order})
    xgl({"action_type": "identifyCustomers", "transaction_token": "t-1002", **JOHN})
    if lookups:
        xgl({"action_type": "identifyCustomers", "transaction_token": "t-1002", "customer_id": JOHN["phone_number"]})
    xgl({"action_type": "voidOrder", "transaction_token": "t-1003",  # never submitted: failed inside a 200
         "order": {**order, "_id": "order-never-submitted"}})


def _spoonity(c: Client, lookups: bool) -> None:
    key = {"api_key": creds.SPOONITY_API_KEY}
    refs = []
    for receipt in ("R-2001", "R-2002"):
        _, reply = c.request("POST", "/order", query=key, json_body={**SPOONITY_ORDER, "receipt_number": receipt})
        refs.append(reply.get("reference_number") if isinstance(reply, dict) else None)
    c.request("POST", "/order", query=key, json_body={**SPOONITY_ORDER, "receipt_number": "R-2002"})  # duplicate
    if refs[0]:
        c.request("DELETE", "/order", query=key, json_body={"receipt": refs[0]})  # not the most recent: refused
    if refs[1]:
        c.request("DELETE", "/order", query=key, json_body={"receipt": refs[1]})  # the most recent: voided
    c.request("POST", "/order", query=key, json_body={"card_number": creds.SPOONITY_CARD, "till": 1, "amount": 10.0,
                                                      "date": 1416240444})
    c.request("POST", "/order/payments/loyalty", query=key, json_body={"card_number": creds.SPOONITY_CARD,
                                                                        "amount": 1.0})
    for card in ("4165550123", "brandin@spoonity.com") * 2 if lookups else ():  # a phone, an email, twice
        c.request("POST", "/order/payments/loyalty", query=key, json_body={"card_number": card, "amount": 0.5})
