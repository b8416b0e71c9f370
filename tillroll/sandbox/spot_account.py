"""A SPOT enterprise account: sessions, one customer, stores, invoices, locker events.

Pure state and rules, no HTTP: :meth:`SpotAccount.call` takes an already-decoded request
(endpoint letter, RequestType, SessionID, SecurityID, parameters) and returns a
:class:`Reply`, the common response object plus its HTTP status. The HTTP adapter is
:mod:`tillroll.sandbox.spot`.

Sessions follow the docs: ``GetToken`` (with the SecurityID) opens one, ``Login`` replaces it
with a logged-in one, and a session expires after 20 minutes without a request; every
request naming a live session resets its timer. A dead, unknown or missing session answers
HTTP 200 with ``Failed: true`` (a failure hidden inside a 200), except for functions that
need a logged-in customer, which answer 401.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from . import credentials
from .clock import Clock, format_instant
from .ids import guid

SESSION_IDLE = timedelta(minutes=20)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

APIS = {"f": "Franchise API", "q": "CustomerConnect", "g": "CustomerConnect GET Actions",
        "r": "External Order Data", "k": "24 hour Kiosk Operations"}

# RequestType -> (endpoints that serve it, what it needs). "security": the SecurityID;
# "session": a live session; "customer": a live session with a logged-in customer.
OPERATIONS: dict[str, tuple[str, str]] = {
    "GetToken": ("fqrk", "security"),
    "Login": ("qk", "session"),
    "GetCustomer": ("qk", "customer"),
    "GetInvoices": ("qk", "customer"),
    "GetStoreList": ("fqk", "session"),
    "FindCustomer": ("fk", "session"),  # a sandbox addition (not in the public docs): a POS's lookup
    "LockerEvent": ("r", "session"),
}
#: RequestTypes served anonymously by ``GET /g?ID=<PublishableID>&RequestType=...``.
GET_ACTIONS = frozenset({"GetStoreList"})
LOCKER_EVENTS = {"D": "In Locker", "P": "Picked Up"}  # drop-off by the customer, pick-up


@dataclass
class Reply:
    """The common response object and its HTTP status."""

    status: int
    return_object: Any = None
    message: str | None = None
    details: str | None = None

    @property
    def failed(self) -> bool:
        return self.message is not None

    def body(self) -> dict[str, Any]:
        return {"Failed": self.failed, "Message": self.message, "MessageDetails": self.details,
                "ReturnObject": self.return_object}


def failure(status: int, message: str, details: str | None = None) -> Reply:
    return Reply(status, None, message, details)


@dataclass
class Session:
    id: str
    last_seen: datetime
    customer_id: str | None = None


class SpotAccount:
    """All of one account's state; :meth:`reset` rebuilds it from *seed* and the clock."""

    def __init__(self, seed: int, clock: Clock, creds: dict[str, str] | None = None) -> None:
        self.seed, self.clock = seed, clock
        self.creds = creds if creds is not None else credentials.as_dict()
        self.reset()

    def reset(self) -> None:
        now, s = self.clock.now(), self.seed
        self.sessions = {}
        self._minted = 0
        self.stores = [
            {"StoreID": guid(s, "spot-store", i), "StoreName": name, "Address1": street, "City": "Salt Lake City",
             "State": "UT", "Zip": zip_code, "Phone": phone, "Hours": "Mon-Fri 7am-7pm, Sat 9am-5pm"}
            for i, (name, street, zip_code, phone) in enumerate([
                ("Main Street", "120 S Main St", "84101", "801-555-0120"),
                ("Sugar House", "2100 S Highland Dr", "84106", "801-555-0121"),
                ("Holladay", "4700 S Holladay Blvd", "84117", "801-555-0122")])
        ]
        self.customer = {
            "CustomerID": guid(s, "spot-customer", 1), "FirstName": "Example", "LastName": "Customer",
            "EmailAddress": credentials.USERNAME, "Phone": "801-555-0134", "Address1": "455 E 500 S",
            "City": "Salt Lake City", "State": "UT", "Zip": "84111", "StoreID": self.stores[0]["StoreID"],
            "AccountBalance": 0.0, "Starch": "Light", "CustomerSince": format_instant(now - timedelta(days=800)),
        }
        self.invoices: dict[str, dict[str, Any]] = {}
        for n, (days, status, pieces, total) in enumerate([
                (12, "Picked Up", 3, 18.5), (4, "Ready", 2, 11.0), (2, "In Process", 5, 27.75),
                (1, "In Process", 1, 6.25)], start=1):
            self._add_invoice(guid(s, "spot-invoice", n), number=str(100_400 + n), status=status, pieces=pieces,
                              total=total, dropped=now - timedelta(days=days), store=self.stores[n % 3]["StoreID"])
        self.locker_events: list[dict[str, Any]] = []

    # -- the request --------------------------------------------------------------------

    def call(self, endpoint: str, request_type: str, *, session_id: str | None, security_id: str | None,
             params: dict[str, Any]) -> Reply:
        """Run one request on the *endpoint* letter (``f q g r k``) and return its reply."""
        known = OPERATIONS.get(request_type)
        if known is None or endpoint not in known[0]:
            served = ", ".join(name for name, (eps, _) in OPERATIONS.items() if endpoint in eps)
            return failure(400, f"Unknown RequestType '{request_type}' for the {APIS[endpoint]} (/{endpoint}); "
                                f"it serves {served}.")
        needs = known[1]
        session = None
        if needs == "security":
            if security_id != self.creds["SECURITY_ID"]:
                return failure(200, "SecurityID is missing or not valid for this account.")
        else:
            session, problem = self._touch(session_id)
            if session is None:
                return failure(401 if needs == "customer" else 200, problem)
            if needs == "customer" and session.customer_id is None:
                return failure(401, f"{request_type} requires a logged-in customer: call Login first.")
        return getattr(self, f"_{request_type}")(session, params)

    def call_anonymous(self, request_type: str, params: dict[str, Any]) -> Reply:
        """A GET action on ``/g`` (the caller has checked the ID)."""
        if request_type not in GET_ACTIONS:
            return failure(400, f"RequestType '{request_type}' is not a GET action; POST it to /q with a SessionID.")
        return getattr(self, f"_{request_type}")(None, params)

    def _touch(self, session_id: str | None) -> tuple[Session | None, str]:
        """The live session *session_id* with its timer reset, or None and why not."""
        if not session_id:
            return None, "SessionID is missing: call GetToken (then Login) first."
        session = self.sessions.get(session_id)
        if session is None:
            return None, "SessionID is not valid: call GetToken (then Login) for a new one."
        now = self.clock.now()
        if now - session.last_seen >= SESSION_IDLE:
            del self.sessions[session_id]
            return None, "Session has expired after 20 minutes of inactivity: call GetToken (then Login) again."
        session.last_seen = now
        return session, ""

    def _new_session(self, customer_id: str | None = None) -> Session:
        self._minted += 1
        session = Session(guid(self.seed, "spot-session", self._minted), self.clock.now(), customer_id)
        self.sessions[session.id] = session
        return session

    # -- operations: one method per RequestType ----------------------------------------

    def _GetToken(self, _session: Session | None, _params: dict[str, Any]) -> Reply:
        return Reply(200, {"SessionID": self._new_session().id})

    def _Login(self, session: Session, params: dict[str, Any]) -> Reply:
        """``UserName`` (case-insensitive) and ``Password``; the new SessionID replaces the old one."""
        user, password = params.get("UserName"), params.get("Password")
        if not isinstance(user, str) or not isinstance(password, str) or not user or not password:
            return failure(400, "Login needs the parameters UserName and Password.")
        if user.strip().lower() != credentials.USERNAME or password != self.creds["PASSWORD"]:
            return failure(200, "The user name or password is incorrect.")
        del self.sessions[session.id]  # the logged-in session replaces the anonymous one
        new = self._new_session(self.customer["CustomerID"])
        return Reply(200, {"SessionID": new.id, "CustomerID": new.customer_id,
                           "FirstName": self.customer["FirstName"], "LastName": self.customer["LastName"]})

    def _FindCustomer(self, _session: Session, params: dict[str, Any]) -> Reply:
        """The customers whose email address or phone number is ``Search`` (a front counter's
        lookup; not in SPOT's public docs, shaped like its documented calls)."""
        wanted = params.get("Search")
        if not isinstance(wanted, str) or not wanted.strip():
            return failure(400, "FindCustomer needs the parameter Search (an email address or a phone number).")
        wanted = wanted.strip().lower()
        found = wanted in (self.customer["EmailAddress"].lower(), self.customer["Phone"],
                           re.sub(r"\D", "", self.customer["Phone"]))
        return Reply(200, [dict(self.customer)] if found else [])

    def _GetCustomer(self, _session: Session, _params: dict[str, Any]) -> Reply:
        return Reply(200, dict(self.customer))

    def _GetInvoices(self, _session: Session, params: dict[str, Any]) -> Reply:
        """The customer's invoices, newest first; optional parameter ``Status`` filters them."""
        wanted = params.get("Status")
        rows = [dict(inv) for inv in self.invoices.values() if wanted in (None, "", inv["Status"])]
        return Reply(200, sorted(rows, key=lambda inv: inv["DropOffDate"], reverse=True))

    def _GetStoreList(self, _session: Session | None, _params: dict[str, Any]) -> Reply:
        return Reply(200, [dict(store) for store in self.stores])

    def _LockerEvent(self, _session: Session, params: dict[str, Any]) -> Reply:
        """A locker drop-off (``EventType`` D) or pick-up (P) for a list of invoices.

        ``InvoiceIDList`` is a comma-separated string of invoice GUIDs (or a JSON list).
        External Order Data creates invoices it does not know yet (bulk entry of new
        invoices, per the docs), so the docs' example Body works as printed.
        """
        locker, event = params.get("LockerID"), params.get("EventType")
        raw_ids = params.get("InvoiceIDList")
        ids = raw_ids if isinstance(raw_ids, list) else str(raw_ids or "").split(",")
        ids = [str(i).strip() for i in ids if str(i).strip()]
        if not isinstance(locker, str) or not _GUID.match(locker):
            return failure(400, "LockerID must be the locker's GUID.")
        if event not in LOCKER_EVENTS:
            return failure(400, "EventType must be D (drop-off) or P (pick-up).")
        if not ids or not all(_GUID.match(i) for i in ids):
            return failure(400, "InvoiceIDList must hold one or more invoice GUIDs, separated by commas.")
        now, rows = self.clock.now(), []
        for invoice_id in ids:
            invoice = self.invoices.get(invoice_id.lower())
            created = invoice is None
            if created:
                invoice = self._add_invoice(invoice_id.lower(), number=str(200_000 + len(self.invoices)),
                                            status="", pieces=0, total=0.0, dropped=now,
                                            store=self.stores[0]["StoreID"])
            invoice["Status"] = LOCKER_EVENTS[event]
            invoice["LockerID"] = locker
            rows.append({"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice["InvoiceNumber"],
                         "Status": invoice["Status"], "Created": created})
        self.locker_events.append({"LockerID": locker, "EventType": event, "InvoiceIDs": ids,
                                   "Comments": params.get("Comments") or "", "At": format_instant(now)})
        return Reply(200, {"LockerID": locker, "EventType": event, "EventDate": format_instant(now),
                           "Invoices": rows})

    def _add_invoice(self, invoice_id: str, *, number: str, status: str, pieces: int, total: float,
                     dropped: datetime, store: str) -> dict[str, Any]:
        invoice = {"InvoiceID": invoice_id, "InvoiceNumber": number, "StoreID": store,
                   "CustomerID": self.customer["CustomerID"], "DropOffDate": format_instant(dropped),
                   "ReadyDate": format_instant(dropped + timedelta(days=2)), "Status": status,
                   "Pieces": pieces, "Total": total, "Balance": 0.0 if status == "Picked Up" else total,
                   "LockerID": None}
        self.invoices[invoice_id] = invoice
        return invoice
