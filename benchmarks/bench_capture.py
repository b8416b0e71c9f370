"""Benchmark: decoding + redaction per exchange (``tillroll.capture.pipeline.capture``), issue 3.

Run::

    .venv/bin/python benchmarks/bench_capture.py [--n 100000] [--seed 7] [--pool 5000]
                                                  [--warmup 2000] [--vendor spot] [--profile 20000]

What is measured:

1. **The pool.** Before any timing, ``--pool`` distinct *unredacted*
   :class:`~tillroll.capture.raw.RawExchange` objects are built, the four vendors in turn
   (SPOT, SpotOn, XGL, Spoonity: 25 % each), with real-looking secrets and PII in
   place and fresh values in every exchange (session ids, security ids, API keys,
   card numbers, emails, phones, names, record ids, timestamps), so no two exchanges
   are alike. Shapes follow the vendors' documented samples
   (``tests/fixtures/vendor_samples``):

   * SPOT: ``GetToken`` (``SecurityID`` in the body, a new ``SessionID`` in the
     response), ``/q`` requests with ``SessionID`` + ``Parameters`` (GetCustomer,
     GetInvoices, Login, GetStoreList), 10 % with the legacy Base64 ``Body``, and
     ``/g`` GETs with the parameters in the query. Responses carry customer PII
     and invoice lists; ~3 % are documented ``"Failed": true`` errors.
   * SpotOn: ``cash-deposits`` / ``paid-in-outs`` list GETs with an ``x-api-key``
     header and 1-3 KB JSON array responses (``employeeName`` in paid-in-outs).
   * XGL: ``outHTTP`` envelopes built from the documented identifyCustomers,
     simulateAccrual, redeemReward and submitOrder samples (0.9-8 KB requests),
     with customer PII (names, email, phone, loyalty cards) filled in.
   * Spoonity: order.process / gift-card / payment.loyalty / order.void with
     ``api_key`` in the query and ``card_number`` (a card, an email or a phone).

   Every request has 6-10 headers, every response 5-8; ~20 % of responses are
   gzip-compressed (``Content-Encoding: gzip``).
2. **Warm-up**: ``--warmup`` captures (not timed).
3. **Timed loop**: N captures cycling through the pool; ``time.perf_counter_ns()``
   is read just before and just after each ``capture(raw, redactor)`` call, so the
   figure is the call alone. The result is discarded at once. The garbage collector
   stays on (its pauses are part of the cost), unless ``--no-gc``.
4. **Report**: median, p90, p99 and mean per exchange (µs), overall, per vendor and
   per kind of exchange; exchanges/s on one thread (N / sum of the call times).
5. **Check**: every pool exchange is captured once more and must be recognised as
   its vendor and operation, and none of its planted secrets may appear anywhere in
   the stored record (path, query, headers, params, bodies, messages).
6. ``--profile K``: K more captures under cProfile, top functions by own time and by
   cumulative time.
7. ``--keyed``: time ``capture_keyed`` instead (the capture and the match key replay
   looks a recording up by): what the recording worker, an import and replay's
   first-seen request pay for each exchange.
8. ``--recorder``: time ``Recorder.record`` instead, as the recording proxy's capture
   worker runs it: ``capture_keyed`` and the append to a cassette in a temporary folder,
   whose writer threads run beside the loop (they compete for the GIL). Also reported:
   the process's CPU per exchange, ``close()`` included; any exchange not recorded
   fails the run (keep N under the writer's queue of 20,000).

Exit status is 0 when the overall median is within the target (100 µs) and the
check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import datetime as dt
import gc
import gzip
import io
import json
import os
import platform
import pstats
import random
import re
import string
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from tillroll.capture import capture, capture_keyed
from tillroll.capture import RawExchange, RawRequest, RawResponse
from tillroll.capture import Redactor

TARGET_MEDIAN_US = 100.0
SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "vendor_samples"
T0 = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.timezone.utc)
KEY = b"bench-key-0123456789abcdef0123456789"
VENDORS = ("spot", "spoton", "xgl", "spoonity")

FIRST = ["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "William", "Linda", "David", "Elizabeth",
         "Richard", "Barbara", "Joseph", "Susan", "Thomas", "Jessica", "Christopher", "Sarah", "Daniel", "Karen",
         "Matthew", "Nancy", "Anthony", "Lisa", "Mark", "Betty", "Donald", "Margaret", "Steven", "Sandra",
         "Andrew", "Ashley", "Joshua", "Kimberly", "Kenneth", "Emily", "Kevin", "Donna", "Brian", "Michelle"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson"]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Washington Blvd", "Lake Rd",
           "Hillcrest Dr", "Sunset Blvd", "Park Ave", "2nd St", "Orange Ave", "Colonial Dr"]
CITIES = [("Orlando", "FL", "32801"), ("Austin", "TX", "78701"), ("Denver", "CO", "80202"),
          ("Columbus", "OH", "43215"), ("Raleigh", "NC", "27601"), ("Boise", "ID", "83702"),
          ("Toronto", "ON", "M5V 2T6"), ("Phoenix", "AZ", "85004")]
MAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "aol.com", "comcast.net"]
PRODUCTS = [("Medium Coffee", 4.75), ("Large Coffee", 5.25), ("Latte", 5.5), ("Cappuccino", 5.25),
            ("Bagel", 2.95), ("Croissant", 3.45), ("Blueberry Muffin", 3.25), ("Iced Tea", 3.0),
            ("Breakfast Sandwich", 6.95), ("Hot Chocolate", 4.25)]
GARMENTS = [("Shirt - Laundered", 3.25), ("Pants", 7.5), ("Suit 2pc", 16.95), ("Dress", 14.5),
            ("Blouse", 7.25), ("Sweater", 8.5), ("Comforter King", 39.0), ("Tie", 5.0), ("Coat", 22.0)]
POS_AGENTS = ["SPOT POS 8.2.14 (Windows NT 10.0)", "SpotPOS/7.9.3", "MyDryCleanerApp/5.4.1 (iPhone; iOS 17.5)",
              "MyDryCleanerApp/5.4.0 (Android 14)"]
HTTP_DATE = "%a, %d %b %Y %H:%M:%S GMT"
ISO_MS = "%Y-%m-%dT%H:%M:%S.{ms:03d}Z"


# -- value generators ----------------------------------------------------------------------

class Gen:
    """Fresh realistic values from a seeded RNG."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def choice(self, seq):
        return self.rng.choice(seq)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def randint(self, a: int, b: int) -> int:
        return self.rng.randint(a, b)

    def chars(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.rng.choices(alphabet, k=n))

    def digits(self, n: int) -> str:
        return str(self.rng.randint(1, 9)) + self.chars(n - 1, string.digits)

    def hexs(self, n: int) -> str:
        return self.chars(n, "0123456789abcdef")

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def b32id(self) -> str:  # SpotOn record ids: 26 chars of [a-z0-9]
        return self.chars(26, string.ascii_lowercase + string.digits)

    def card(self, length: int = 16, prefix: str = "4") -> str:
        body = [int(c) for c in prefix] + [self.rng.randrange(10) for _ in range(length - len(prefix) - 1)]
        total = 0
        for i, d in enumerate(reversed(body)):
            d = d * 2 if i % 2 == 0 else d
            total += d - 9 if d > 9 else d
        return "".join(map(str, body)) + str((10 - total % 10) % 10)

    def person(self) -> tuple[str, str]:
        return self.choice(FIRST), self.choice(LAST)

    def email(self, first: str | None = None, last: str | None = None) -> str:
        first, last = (first, last) if first else self.person()
        sep = self.choice([".", "_", ""])
        return f"{first.lower()}{sep}{last.lower()}{self.randint(1, 9999)}@{self.choice(MAIL_DOMAINS)}"

    def phone(self) -> str:
        return f"{self.randint(201, 989)}{self.randint(200, 999)}{self.randint(0, 9999):04d}"

    def street(self) -> str:
        return f"{self.randint(10, 9899)} {self.choice(STREETS)}"

    def password(self) -> str:
        return self.chars(self.randint(8, 14)) + self.choice("!#$%&*")

    def money(self, lo: float, hi: float) -> float:
        return round(self.rng.uniform(lo, hi), 2)


def iso_ms(t: dt.datetime) -> str:
    return t.strftime(ISO_MS).format(ms=t.microsecond // 1000)


def iso_s(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- headers ---------------------------------------------------------------------------------

def request_headers(g: Gen, host: str, body: bytes | None, user_agent: str, extra=()) -> list[tuple[str, str]]:
    """6-10 request headers, as a POS client sends them."""
    h = [("Host", host), ("User-Agent", user_agent), ("Accept", "application/json"),
         ("Accept-Encoding", "gzip, deflate, br"), ("Accept-Language", "en-US,en;q=0.9"),
         ("Connection", "keep-alive")]
    if body is not None:
        h += [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))]
    h += list(extra)
    if g.chance(0.6) and len(h) < 10:
        h.append(("X-Request-ID", g.uuid()))
    if g.chance(0.4) and len(h) < 10:
        h.append(("traceparent", f"00-{g.hexs(32)}-{g.hexs(16)}-01"))
    return h


def response(g: Gen, t: dt.datetime, status: int, payload, server: list[tuple[str, str]],
             gzip_p: float = 0.2) -> RawResponse:
    """A response with 5-8 headers; ~20 % of bodies gzip-compressed."""
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    headers = [("Date", (t + dt.timedelta(milliseconds=80)).strftime(HTTP_DATE)),
               ("Content-Type", "application/json; charset=utf-8")]
    if g.chance(gzip_p):
        body = gzip.compress(body, compresslevel=6, mtime=0)
        headers.append(("Content-Encoding", "gzip"))
        headers.append(("Vary", "Accept-Encoding"))
    headers.append(("Content-Length", str(len(body))))
    headers += server
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 500: "Internal Server Error"}[status]
    return RawResponse(status, reason, headers=headers[:8], body=body)


# -- SPOT ---------------------------------------------------------------------------------------

SPOT_ERRORS = json.loads((SAMPLES / "spot" / "errors.json").read_text())
SPOT_HOST = "api.mydrycleaner.com"


def spot_server(g: Gen) -> list[tuple[str, str]]:
    h = [("Server", "Microsoft-IIS/10.0"), ("X-Powered-By", "ASP.NET"), ("Cache-Control", "private")]
    if g.chance(0.5):
        h.append(("Set-Cookie", f"ARRAffinity={g.hexs(64)};Path=/;HttpOnly;Secure;Domain={SPOT_HOST}"))
    return h


def spot_customer(g: Gen, customer_id: str, first: str, last: str, email: str, phone: str) -> dict:
    city, state, zip_ = g.choice(CITIES)
    return {"CustomerID": customer_id, "FirstName": first, "LastName": last, "EmailAddress": email,
            "Phone": phone, "CellPhone": g.phone(), "Address1": g.street(), "Address2": "",
            "City": city, "State": state, "Zip": zip_, "StoreID": f"S{g.randint(1, 40):03d}",
            "RouteID": g.randint(0, 30), "Balance": g.money(0, 120), "StarchPreference": g.choice(["None", "Light"]),
            "BoxOrHang": g.choice(["Hang", "Box"]), "Notes": g.choice(["", "Prefers pickup on Fridays", "Gate code 1204"]),
            "CreditCards": [{"CardID": g.uuid(), "CardType": "Visa", "LastFour": g.digits(4),
                             "ExpMonth": g.randint(1, 12), "ExpYear": g.randint(2026, 2031)}],
            "MarketingOptIn": g.chance(0.5), "CreatedDate": "2024-03-11T14:02:11"}


def spot_invoices(g: Gen, customer_id: str, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        items = [{"ItemID": g.uuid(), "Description": name, "Quantity": g.randint(1, 4), "Price": price,
                  "Barcode": g.digits(8)} for name, price in (g.choice(GARMENTS) for _ in range(g.randint(1, 4)))]
        out.append({"InvoiceID": g.uuid(), "InvoiceNumber": g.digits(7), "CustomerID": customer_id,
                    "DropOffDate": "2026-11-18T10:12:00", "ReadyDate": "2026-11-20T17:00:00",
                    "Status": g.choice(["Ready", "In Process", "Picked Up"]),
                    "Total": round(sum(i["Price"] * i["Quantity"] for i in items), 2), "Paid": g.chance(0.4),
                    "RackLocation": f"{g.randint(1, 900)}", "Items": items})
    return out


def spot_exchange(g: Gen, t: dt.datetime) -> tuple[RawRequest, RawResponse, str, str, list[str]]:
    account = g.choice(["ABCD1234", "DRYCL001", "PRMCLN77", "SPRKL203", "FRSHPRS9"])
    agent = g.choice(POS_AGENTS)
    session = g.uuid()
    secrets = [session]
    first, last = g.person()
    email, phone = g.email(first, last), g.phone()
    customer_id = f"{g.randint(100000, 999999)}"
    r = g.rng.random()
    endpoint, method, query, kind = "/q", "POST", "", "spot.params"
    if r < 0.15:  # GetToken: SecurityID in, SessionID out
        security = g.uuid().upper()
        secrets = [security, session]
        op, kind = "GetToken", "spot.GetToken"
        body = {"RequestType": "GetToken", "AccountKey": account, "SecurityID": security, "UserAgent": agent}
        ret = {"SessionID": session, "AccountKey": account, "ExpiresUtc": iso_s(t + dt.timedelta(hours=12)),
               "StoreID": f"S{g.randint(1, 40):03d}", "ApiVersion": "2.4"}
    elif r < 0.30:  # /g GET: parameters in the query
        method, endpoint, kind, body = "GET", "/g", "spot.g-query", None
        op = g.choice(["GetStoreList", "GetCustomerInvoices", "GetCustomerBalance"])
        query = f"RequestType={op}&AccountKey={account}&SessionID={session}"
        if op == "GetStoreList":
            ret = {"Stores": [{"StoreID": f"S{i:03d}", "Name": f"{g.choice(LAST)} Cleaners #{i}",
                               "Address1": g.street(), "City": c[0], "State": c[1], "Zip": c[2],
                               "Phone": g.phone(), "Hours": "Mon-Fri 7-7, Sat 8-5", "Latitude": g.money(25, 48),
                               "Longitude": -g.money(70, 120), "IsDropSite": g.chance(0.3)}
                              for i, c in ((i, g.choice(CITIES)) for i in range(1, g.randint(4, 10)))]}
            query += "&IncludeInactive=false"
        elif op == "GetCustomerInvoices":
            query += f"&CustomerID={customer_id}&StartDate=2026-10-01&PageSize=25"
            ret = {"Invoices": spot_invoices(g, customer_id, g.randint(2, 7)), "PageCount": 1}
        else:
            query += f"&CustomerID={customer_id}"
            ret = {"CustomerID": customer_id, "Balance": g.money(0, 200), "StoreCredit": g.money(0, 20),
                   "LastPayment": {"Date": "2026-11-02T12:30:00", "Amount": g.money(5, 90),
                                   "CardLastFour": g.digits(4)}, "EmailAddress": email}
            secrets.append(email)
    else:
        op = g.choice(["GetInvoices"] * 35 + ["GetCustomer"] * 30 + ["Login"] * 20 + ["GetStoreList"] * 15)
        if op == "GetInvoices":
            params = {"CustomerID": customer_id, "StartDate": "2026-10-01", "EndDate": "2026-11-22",
                      "PageSize": 50, "IncludeItems": True}
            ret = {"Invoices": spot_invoices(g, customer_id, g.randint(2, 9)), "PageCount": 1}
        elif op == "GetCustomer":
            params = {"CustomerID": customer_id}
            ret = spot_customer(g, customer_id, first, last, email, phone)
            secrets += [email, phone]
        elif op == "Login":
            password = g.password()
            params = {"UserName": email, "Password": password, "RememberMe": True}
            new_session = g.uuid()
            ret = {"SessionID": new_session, "CustomerID": customer_id, "FirstName": first, "LastName": last,
                   "EmailAddress": email, "Phone": phone, "StoreID": f"S{g.randint(1, 40):03d}"}
            secrets += [email, phone, password, new_session]
        else:
            params = {"IncludeInactive": False, "Latitude": g.money(25, 48), "Longitude": -g.money(70, 120)}
            ret = {"Stores": [{"StoreID": f"S{i:03d}", "Name": f"{g.choice(LAST)} Cleaners #{i}",
                               "Address1": g.street(), "Phone": g.phone(), "Hours": "Mon-Fri 7-7"}
                              for i in range(1, g.randint(3, 9))]}
        body = {"RequestType": op, "AccountKey": account, "SessionID": session, "UserAgent": agent}
        if g.chance(1 / 6):  # ~10 % of all SPOT exchanges: legacy Base64 Body
            kind = "spot.legacy-Body"
            if g.chance(0.5):
                op, endpoint = "LockerDropOff", "/r"
                body["RequestType"] = op
                params = {"LockerID": g.uuid(), "InvoiceIDList": ",".join(g.uuid() for _ in range(g.randint(1, 3))),
                          "EventType": "P", "Comments": "", "EmailAddress": email}
                ret = {"Confirmation": g.digits(8), "LockerNumber": g.randint(1, 48)}
                secrets = [session, email]
            body["Body"] = base64.b64encode(json.dumps(params, separators=(",", ":")).encode()).decode()
        else:
            body["Parameters"] = params
    failed = g.chance(0.03)
    if failed:
        err = g.choice(SPOT_ERRORS)
        status, payload = err["http"], {"Failed": True, "Message": err["message"], "MessageDetails": None,
                                        "ReturnObject": None}
    else:
        status, payload = 200, {"Failed": False, "Message": None, "MessageDetails": None, "ReturnObject": ret}
    raw_body = None if body is None else json.dumps(body).encode()
    req = RawRequest(method, "https", SPOT_HOST, 443, endpoint, query=query,
                     headers=request_headers(g, SPOT_HOST, raw_body, agent), body=raw_body)
    return req, response(g, t, status, payload, spot_server(g)), kind, op, secrets


# -- SpotOn ---------------------------------------------------------------------------------------

SPOTON_HOST = "restaurantapi.spoton.com"


def spoton_exchange(g: Gen, t: dt.datetime):
    resource = g.choice(["cash-deposits", "paid-in-outs"])
    location = g.b32id()
    api_key = g.chars(40)
    field = "updatedAt" if resource == "cash-deposits" else "createdAt"
    end = t.replace(microsecond=0) - dt.timedelta(minutes=1)
    start = end - dt.timedelta(minutes=g.choice([5, 15, 60]))
    query = f"{field}Start={iso_s(start)}&{field}End={iso_s(end)}"
    secrets = [api_key]
    rows = []
    if resource == "cash-deposits":  # the documented shape, ~370 bytes a row
        for _ in range(g.randint(3, 8)):
            rec = start + dt.timedelta(seconds=g.randint(0, 240))
            rows.append({"id": g.b32id(), "locationId": location, "deleted": False,
                         "amount": f"{g.money(20, 900):.2f}", "employeeId": g.b32id(), "jobPositionId": g.b32id(),
                         "recordedAt": iso_s(rec), "lastUpdatedByEmployeeId": g.b32id(),
                         "lastUpdatedByJobPositionId": g.b32id(), "lastUpdatedAt": iso_s(rec + dt.timedelta(seconds=30))})
    else:  # with employeeName, ~300 bytes a row
        for _ in range(g.randint(4, 10)):
            first, last = g.person()
            name = f"{first} {last}"
            kind = g.choice(["IN", "OUT"])
            rows.append({"id": g.b32id(), "locationId": location, "deleted": False, "voided": g.chance(0.05),
                         "paymentOptionId": g.b32id(), "amount": f"{g.money(1, 150):.2f}", "employeeId": g.b32id(),
                         "employeeName": name, "createdAt": iso_s(start + dt.timedelta(seconds=g.randint(0, 240))),
                         "kind": kind, "reason": g.choice(["Cash Low", "Vendor payment", "Tip out", "Change order"]),
                         "notes": g.choice(["Low on cash", "Paid produce delivery", "", "Drawer 2"])})
    status = 200 if not g.chance(0.03) else 400
    payload = rows if status == 200 else {"message": "Invalid query parameters: window larger than 24h"}
    server = [("x-amzn-RequestId", g.uuid()), ("x-amz-apigw-id", g.chars(16)),
              ("X-Amzn-Trace-Id", f"Root=1-{g.hexs(8)}-{g.hexs(24)}")]
    agent = g.choice(["SpotOnExport/2.3 (+backoffice-sync)", "python-requests/2.31.0", "okhttp/4.12.0"])
    req = RawRequest("GET", "https", SPOTON_HOST, 443, f"/posexport/v1/locations/{location}/{resource}",
                     query=query, headers=request_headers(g, SPOTON_HOST, None, agent, [("x-api-key", api_key)]))
    return req, response(g, t, status, payload, server), f"spoton.{resource}", f"{resource}.list", secrets


# -- XGL ---------------------------------------------------------------------------------------------

XGL_HOST = "xgl-gateway.xenial.com"
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
_UUIDISH = re.compile(r"[0-9a-z]{6,8}-[0-9a-z]{3,4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}")
_XS = re.compile(r"[Xx]+")


def _fixture(name: str):
    text = (SAMPLES / "xgl" / name).read_text()
    if name.startswith("04-submitOrder-response"):
        text = "{" + text  # the documented sample lacks its opening brace; the real API sends valid JSON
    return json.loads(text)


XGL_TEMPLATES = {
    "identifyCustomers": (_fixture("01-identifyCustomers-request.json"), _fixture("01-identifyCustomers-response.json")),
    "simulateAccrual": (_fixture("02-simulateAccrual-request.json"), _fixture("02-simulateAccrual-response.json")),
    "redeemReward": (_fixture("03-redeemReward-request.json"), _fixture("03-redeemReward-response.json")),
    "submitOrder": (_fixture("04-submitOrder-request.json"), _fixture("04-submitOrder-response.txt")),
}
XGL_MIX = ["identifyCustomers"] * 40 + ["simulateAccrual"] * 30 + ["redeemReward"] * 15 + ["submitOrder"] * 15


class XglPerson:
    def __init__(self, g: Gen):
        self.first, self.last = g.person()
        self.email, self.phone = g.email(self.first, self.last), g.phone()
        self.card, self.loyalty = g.card(16, "6"), g.card(12, "7")
        self.employee = f"{g.choice(FIRST)} {g.choice(LAST)}"


def freshen(g: Gen, value, person: XglPerson, t: dt.datetime, key: str = ""):
    """The documented sample with its placeholders (9999, xxxx, 20YY) replaced by fresh values."""
    if isinstance(value, dict):
        return {k: freshen(g, v, person, t, k) for k, v in value.items()}
    if isinstance(value, list):
        return [freshen(g, v, person, t, key) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        if key in ("balance", "points_quantity") and value > 10:
            return g.randint(10, 60000)
        return value
    s = value
    k = key.lower()
    if k == "email":
        return person.email
    if k == "phone":
        return person.phone
    if k == "first_name":
        return person.first
    if k == "last_name":
        return person.last
    if k in ("customer_name",):
        return f"{person.first} {person.last}"
    if k == "card_number":
        return person.card if len(s) >= 14 else person.loyalty
    if k == "loyalty_card_number":
        return person.loyalty
    if k == "name" and s.startswith("Employee"):
        return person.employee
    if k in ("date_time", "receipt_datetime", "time", "server_date_time", "processed_at") and "T" in s:
        return iso_ms(t)
    if k == "added_at":
        return str(int(t.timestamp() * 1000))
    if k == "address_1":
        return g.street()
    if _OBJECT_ID.fullmatch(s):
        return g.hexs(24)
    if _UUIDISH.fullmatch(s):
        return g.uuid()
    if s.isdigit() and len(s) >= 3:
        return g.digits(len(s))
    if _XS.fullmatch(s):
        return "".join(g.choice(string.ascii_uppercase if c == "X" else string.ascii_lowercase) for c in s)
    if "20YY" in s:
        return s.replace("20YY", str(t.year))
    return s


def xgl_exchange(g: Gen, t: dt.datetime):
    op = g.choice(XGL_MIX)
    req_t, resp_t = XGL_TEMPLATES[op]
    person = XglPerson(g)
    request = freshen(g, req_t, person, t)
    resp = freshen(g, resp_t, person, t + dt.timedelta(milliseconds=120))
    company, sites = g.hexs(24), g.hexs(24)
    env = request["outHTTP"]
    env["host"] = XGL_HOST
    env["headers"].update({"x-company-id": company, "x-site-ids": sites})
    secrets = [person.email, person.phone, person.card, person.loyalty]
    if op == "identifyCustomers":
        customer = resp["customers"][0]
        customer["information"]["address"] = {"address_1": g.street(), "city": "Orlando", "zip": "32801"}
    status = 200
    if g.chance(0.03):  # XGL reports failures in a 200, in merchant_data
        resp = {"host_txn_id": g.digits(7), "merchant_data": {"id": "Provider Id", "name": "Provider Name",
                "response_code": 404, "response_message": "Customer not found", "response_name": "customerNotFound"},
                "server_date_time": iso_ms(t)}
    body = json.dumps(request).encode()
    agent = g.choice(["XenialPOS/3.8.25", "XenialPOS/3.2.16", "Xenial-Loyalty-Bridge/1.14"])
    headers = request_headers(g, XGL_HOST, body, agent, [("x-company-id", company), ("x-site-ids", sites)])
    server = [("Server", "nginx"), ("X-Request-Id", g.uuid()), ("Strict-Transport-Security", "max-age=31536000")]
    req = RawRequest("POST", "https", XGL_HOST, 443, "/api/xgl", headers=headers, body=body)
    # Secrets shorter than 6 characters (or not present) are not checked.
    text = body.decode() + json.dumps(resp)
    secrets = [s for s in secrets if s in text]
    return req, response(g, t, status, resp, server), f"xgl.{op}", op, secrets


# -- Spoonity --------------------------------------------------------------------------------------

SPOONITY_HOST = "api.spoonity.com"


def spoonity_exchange(g: Gen, t: dt.datetime):
    api_key = g.hexs(32)
    r = g.rng.random()
    card = g.choice([g.card(16, "6"), g.card(16, "6"), g.email(), g.phone()])
    ref = str(g.randint(17000000, 19999999))
    user = {"id": str(g.randint(100000, 999999)), "card_number": card,
            "balances": [{"id": 191, "currency": "Canadian Dollar", "balance": g.money(0, 60), "type": "Quick Pay"},
                         {"id": 961, "currency": "Points", "balance": g.randint(0, 20000), "type": "Loyalty"}]}
    error = {"errors": [], "code": None, "reference_id": None}
    first, last = g.person()
    if r < 0.40:
        op, method, path = "order.process", "POST", "/order"
        items = []
        for _ in range(g.randint(1, 6)):
            name, price = g.choice(PRODUCTS)
            items.append({"id": f"sku-{g.randint(100, 999)}", "name": name, "categories": ["Beverages"],
                          "discounts": [], "price": price, "quantity": g.randint(1, 3), "modifiers": []})
        subtotal = round(sum(i["price"] * i["quantity"] for i in items), 2)
        body = {"card_number": card, "till": g.randint(1, 6), "receipt_number": f"R-{g.digits(6)}",
                "subtotal": subtotal, "taxes": [{"name": "HST", "amount": round(subtotal * 0.13, 2)}],
                "total": round(subtotal * 1.13, 2), "payment_method": g.choice(["CASH", "CREDIT", "DEBIT"]),
                "date": int(t.timestamp()), "cashier": {"id": f"emp-{g.randint(10, 99)}", "name": f"{first} {last}"},
                "line_items": items, "discounts": []}
        points = int(subtotal * 10)
        resp = {"reference_number": ref, "success": True,
                "receipt_data": {"lines": [f"{points} points added"],
                                 "points": [{"currency": {"id": 961, "name": "Points"}, "amount": points,
                                             "expiryDate": None}], "user": user}, "error": error}
    elif r < 0.60:
        op, method, path = "gift-card", "POST", "/order/gift-card"
        amount = g.choice([10.0, 20.0, 25.0, 50.0])
        body = {"card_number": card, "till": g.randint(1, 6), "amount": amount, "date": int(t.timestamp())}
        resp = {"success": True, "reference_number": ref,
                "receipt_data": {"lines": [f"Successfully added {amount:g} quick pay balance"], "user": user},
                "error": error}
    elif r < 0.85:
        op, method, path = "payment.loyalty", "POST", "/order/payments/loyalty"
        amount = g.money(2, 25)
        body = {"card_number": card, "amount": amount}
        resp = {"success": True, "amount": -amount, "transaction_id": g.digits(8), "error": error}
    else:
        op, method, path = "order.void", "DELETE", "/order"
        body = {"receipt": ref, "card_number": card}
        resp = {"voided": True}
    status = 200
    if g.chance(0.03):
        resp = {"success": False, "error": {"errors": ["Insufficient balance"], "code": 402, "reference_id": None}}
    raw_body = json.dumps(body).encode()
    agent = g.choice(["Spoonity-POS-Connector/4.1", "TouchBistro/9.3", "Moneris-Go/2.0"])
    headers = request_headers(g, SPOONITY_HOST, raw_body, agent)
    server = [("Server", "nginx/1.24.0"), ("X-Powered-By", "PHP/8.1.27"), ("Cache-Control", "no-store")]
    req = RawRequest(method, "https", SPOONITY_HOST, 443, path, query=f"api_key={api_key}", headers=headers,
                     body=raw_body)
    secrets = [api_key, card] + ([f"{first} {last}"] if op == "order.process" else [])
    return req, response(g, t, status, resp, server), f"spoonity.{op}", op, secrets


# -- pool -------------------------------------------------------------------------------------------

MAKERS = {"spot": spot_exchange, "spoton": spoton_exchange, "xgl": xgl_exchange, "spoonity": spoonity_exchange}


class Item:
    __slots__ = ("raw", "vendor", "kind", "operation", "secrets")

    def __init__(self, raw, vendor, kind, operation, secrets):
        self.raw, self.vendor, self.kind, self.operation, self.secrets = raw, vendor, kind, operation, secrets


def build_pool(size: int, seed: int, vendors=VENDORS) -> list[Item]:
    g = Gen(seed)
    pool = []
    t = T0
    for i in range(size):
        vendor = vendors[i % len(vendors)]
        t += dt.timedelta(milliseconds=50 + g.rng.random() * 400)
        req, resp, kind, op, secrets = MAKERS[vendor](g, t)
        wait = g.rng.lognormvariate(4.0, 0.6)
        raw = RawExchange(req, t, resp, duration_ms=wait + 3.0, connect_ms=0.0, tls_ms=0.0, send_ms=0.4,
                          wait_ms=wait, receive_ms=2.6)
        pool.append(Item(raw, vendor, kind, op, [s for s in secrets if len(s) >= 6]))
    return pool


def _decoded_len(body: bytes | None, headers) -> int:
    if not body:
        return 0
    if any(k.lower() == "content-encoding" for k, _ in headers):
        return len(gzip.decompress(body))
    return len(body)


# -- statistics -------------------------------------------------------------------------------------

def stats(ns: list[int]) -> dict:
    s = sorted(ns)
    n = len(s)

    def pct(p):  # nearest rank
        return s[min(n - 1, max(0, int(round(p / 100 * n + 0.5)) - 1))] / 1000

    return {"n": n, "median": pct(50), "p90": pct(90), "p99": pct(99), "mean": sum(s) / n / 1000,
            "min": s[0] / 1000, "max": s[-1] / 1000}


def row(label: str, st: dict) -> str:
    return (f"| {label} | {st['n']:,} | {st['median']:.1f} | {st['p90']:.1f} | {st['p99']:.1f} | "
            f"{st['mean']:.1f} | {1e6 / st['mean']:,.0f} |")


def stored_text(ex) -> str:
    parts = [ex.path, ex.query or "", ex.params_json or "", ex.request_body_text or "",
             ex.response_body_text or "", ex.outcome_message or "", ex.error or ""]
    parts += [f"{k}: {v}" for k, v in ex.request_headers + (ex.response_headers or [])]
    return "\n".join(parts)


def check(pool: list[Item], redactor: Redactor) -> list[str]:
    """Problems: wrong vendor/operation, or a planted secret left in the stored record."""
    problems = []
    for i, item in enumerate(pool):
        ex = capture(item.raw, redactor)
        if ex.vendor != item.vendor or ex.operation != item.operation:
            problems.append(f"#{i} {item.kind}: recognised as {ex.vendor}/{ex.operation}")
        text = stored_text(ex)
        body64 = ""
        if ex.params_encoding == "Body" and ex.request_body_text:
            try:
                body64 = base64.b64decode(json.loads(ex.request_body_text)["Body"]).decode()
            except Exception:
                pass
        for secret in item.secrets:
            if secret in text or json.dumps(secret)[1:-1] in text or secret in body64:
                problems.append(f"#{i} {item.kind}: a planted secret ({len(secret)} chars) was stored")
    return problems


# -- main ---------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="timed captures (default 100000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pool", type=int, default=5_000, help="distinct raw exchanges, cycled (default 5000)")
    ap.add_argument("--warmup", type=int, default=2_000)
    ap.add_argument("--vendor", choices=VENDORS, action="append", help="only these vendors (repeatable)")
    ap.add_argument("--no-gc", action="store_true", help="disable the garbage collector while timing")
    ap.add_argument("--profile", type=int, default=0, metavar="K", help="then profile K captures with cProfile")
    ap.add_argument("--profile-lines", type=int, default=35)
    ap.add_argument("--no-check", action="store_true", help="skip the recognition/leak check")
    ap.add_argument("--keyed", action="store_true", help="time capture_keyed: the capture and the match key")
    ap.add_argument("--recorder", action="store_true",
                    help="time Recorder.record: capture_keyed and the append, the writer's threads running")
    args = ap.parse_args(argv)

    vendors = tuple(args.vendor) if args.vendor else VENDORS
    print(f"tillroll capture benchmark: n={args.n:,} pool={args.pool:,} warmup={args.warmup:,} seed={args.seed} "
          f"vendors={','.join(vendors)}{' (capture_keyed)' if args.keyed else ''}{' (Recorder.record)' if args.recorder else ''}")
    print(f"python {platform.python_version()} ({platform.python_implementation()}), {platform.platform()}, "
          f"nproc={os.cpu_count()}, cpu={_cpu_model()}")

    t_build = time.perf_counter()
    pool = build_pool(args.pool, args.seed, vendors)
    t_build = time.perf_counter() - t_build
    redactor = Redactor(KEY)
    _describe_pool(pool, t_build)

    cap = capture_keyed if args.keyed else capture
    recorder = None
    if args.recorder:
        from tillroll.proxy.recorder import Recorder  # the worker's own code (benchmarks may import every layer)

        folder = os.path.join(tempfile.mkdtemp(prefix="tillroll-bench-capture-"), "cassette")
        try:  # as the capture worker makes it
            recorder = Recorder(folder, redactor, convert_on_append=True)
        except TypeError:  # a tree from before convert_on_append (A/B runs)
            recorder = Recorder(folder, redactor)

        def cap(raw, _redactor):
            recorder.record(raw)
    for i in range(args.warmup):
        cap(pool[i % len(pool)].raw, redactor)

    raws = [item.raw for item in pool]
    kinds = [item.kind for item in pool]
    size = len(raws)
    n = args.n
    times = [0] * n
    clock = time.perf_counter_ns
    if args.no_gc:
        gc.disable()
    gc.collect()
    cpu0 = time.process_time()
    wall0 = clock()
    for i in range(n):
        raw = raws[i % size]
        t0 = clock()
        cap(raw, redactor)
        times[i] = clock() - t0
    wall = (clock() - wall0) / 1e9
    if recorder is not None:
        recorder.close()  # the rest of the writer's work: the last segment rolled to Parquet
    cpu = time.process_time() - cpu0
    gc.enable()

    by_vendor, by_kind, by_gzip = defaultdict(list), defaultdict(list), defaultdict(list)
    gz = [any(k == "Content-Encoding" for k, _ in item.raw.response.headers) for item in pool]
    for i, ns in enumerate(times):
        j = i % size
        by_vendor[pool[j].vendor].append(ns)
        by_kind[kinds[j]].append(ns)
        by_gzip["gzip response" if gz[j] else "identity response"].append(ns)

    overall = stats(times)
    total_s = sum(times) / 1e9
    print()
    print(f"Timed {n:,} captures: {total_s:.2f} s inside capture(), loop wall time {wall:.2f} s, "
          f"process CPU {cpu / n * 1e6:,.1f} µs an exchange{' (close() included)' if recorder else ''}")
    if recorder is not None:
        st = recorder.stats
        print(f"Recorder: {st.recorded:,} recorded, {st.recording_errors:,} not recorded (warm-up included)")
    print(f"Throughput, one thread: {n / total_s:,.0f} exchanges/s (calls only), {n / wall:,.0f} exchanges/s (loop)")
    print()
    print("| | n | median µs | p90 µs | p99 µs | mean µs | exchanges/s (1/mean) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(row("**all**", overall))
    for v in vendors:
        print(row(v, stats(by_vendor[v])))
    print()
    print("By kind of exchange:")
    print()
    print("| kind | n | median µs | p90 µs | p99 µs | mean µs | exchanges/s (1/mean) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for k in sorted(by_kind):
        print(row(k, stats(by_kind[k])))
    for k in sorted(by_gzip):
        print(row(k, stats(by_gzip[k])))
    passed = overall["median"] <= TARGET_MEDIAN_US and (recorder is None or recorder.stats.recording_errors == 0)
    print()
    print(f"Target: median <= {TARGET_MEDIAN_US:.0f} µs per exchange -> median {overall['median']:.1f} µs: "
          f"{'PASS' if passed else 'FAIL'}")

    ok = True
    if not args.no_check:
        problems = check(pool, redactor)
        ok = not problems
        print(f"Check ({len(pool):,} exchanges: vendor, operation, no planted secret stored): "
              f"{'OK' if ok else f'{len(problems)} PROBLEM(S)'}")
        for p in problems[:20]:
            print("  " + p)

    if args.profile:
        _profile(cap, raws, redactor, args.profile, args.profile_lines)
    return 0 if passed and ok else 1


def _describe_pool(pool: list[Item], seconds: float) -> None:
    print(f"Pool: {len(pool):,} distinct raw exchanges built in {seconds:.1f} s (before timing)")
    print()
    print("| vendor | share | req headers | resp headers | req body B (mean/max) | resp body B decoded (mean/max) "
          "| gzip responses |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    groups = defaultdict(list)
    for item in pool:
        groups[item.vendor].append(item)
    for vendor, items in groups.items():
        rq = [len(i.raw.request.body or b"") for i in items]
        rs = [_decoded_len(i.raw.response.body, i.raw.response.headers) for i in items]
        rqh = [len(i.raw.request.headers) for i in items]
        rsh = [len(i.raw.response.headers) for i in items]
        gz = sum(any(k == "Content-Encoding" for k, _ in i.raw.response.headers) for i in items)
        print(f"| {vendor} | {len(items) / len(pool):.0%} | {min(rqh)}-{max(rqh)} | {min(rsh)}-{max(rsh)} | "
              f"{sum(rq) / len(rq):,.0f} / {max(rq):,} | {sum(rs) / len(rs):,.0f} / {max(rs):,} | "
              f"{gz / len(items):.0%} |")
    kinds = defaultdict(int)
    for item in pool:
        kinds[item.kind] += 1
    print()
    print("Kinds: " + ", ".join(f"{k} {v / len(pool):.1%}" for k, v in sorted(kinds.items())))


def _profile(cap, raws, redactor, k: int, lines: int) -> None:
    prof = cProfile.Profile()
    size = len(raws)
    prof.enable()
    for i in range(k):
        cap(raws[i % size], redactor)
    prof.disable()
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        st = pstats.Stats(prof, stream=out).strip_dirs().sort_stats(key)
        st.print_stats(lines)
        print()
        print(f"== cProfile, {k:,} captures, sorted by {key} ==")
        print(out.getvalue().strip("\n"))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
