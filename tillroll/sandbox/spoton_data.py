"""SpotOn POS export data: the window rules and a deterministic, lazily derived dataset.

No records are stored. Each location's records in a given UTC hour are derived from
``(seed, location, resource, hour)``: 0 to 3 records per hour, at hashed minutes, shaped
exactly like the documented examples. A 7-day window therefore costs 169 small hash
computations, and a record id encodes its hour so a single-record GET is O(1).

Rules from the docs (:func:`parse_window`): both window parameters are required RFC 3339
date/times without milliseconds; start must be before end; the window cannot exceed 7 days;
the end must be 5 or more minutes in the past. Start is inclusive, end exclusive. Only
records from the last 90 days exist (and none from the future). Org-level attributes
(employees, job positions, payment options, reasons) depend on the seed only, so they are
shared by all locations, as documented.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from .clock import format_instant
from .ids import number, to_base36, token

RESOURCES = {"cash-deposits": ("updatedAtStart", "updatedAtEnd"),
             "paid-in-outs": ("createdAtStart", "createdAtEnd")}
NAMES = {"cash-deposits": "cash deposit", "paid-in-outs": "paid in/out"}
MAX_WINDOW = timedelta(days=7)
LAG = timedelta(minutes=5)
RETENTION = timedelta(days=90)
HOUR = 3600
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)

EMPLOYEES = ["Sandy Smith", "Jordan Lee", "Priya Patel", "Marcus Brown", "Elena Garcia", "Sam O'Connor",
             "Aiko Tanaka", "Chris Nguyen"]
POSITIONS = ["Cashier", "Server", "Bartender", "Manager"]
REASONS = {"IN": [("Cash Low", "Low on cash"), ("Change Order", "Bank change order"),
                  ("Tip Adjustment", "Returned tip overpayment")],
           "OUT": [("Supplies", "Bought lemons and limes"), ("Delivery Tip", "Tip for produce delivery"),
                   ("Petty Cash", "Postage"), ("Vendor Payment", "Paid the ice vendor")]}
PAYMENT_OPTIONS = ["Cash", "Cash Drawer 2"]


class WindowError(ValueError):
    """A window parameter breaks a documented rule; ``str()`` is the sentence for the 400."""


def parse_window(resource: str, query: Mapping[str, str], now: datetime) -> tuple[datetime, datetime]:
    """The ``[start, end)`` window of a list request on *resource*, or :class:`WindowError`."""
    start_name, end_name = RESOURCES[resource]
    missing = [name for name in (start_name, end_name) if not query.get(name)]
    if missing:
        raise WindowError(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required: "
                          "RFC 3339 date/times without milliseconds, e.g. 2020-02-28T00:00:00Z.")
    start, end = (_parse(name, query[name]) for name in (start_name, end_name))
    if start >= end:
        raise WindowError(f"{start_name} must be before {end_name}.")
    if end - start > MAX_WINDOW:
        raise WindowError(f"The duration of the date/time range cannot exceed 7 days "
                          f"({start_name} to {end_name} is {end - start}).")
    if end > now - LAG:
        raise WindowError(f"{end_name} must be 5 or more minutes in the past "
                          f"(now is {format_instant(now)}; use {format_instant(now - LAG)} or earlier).")
    return start, end


def _parse(name: str, text: str) -> datetime:
    if not _RFC3339.match(text):
        raise WindowError(f"{name} must be an RFC 3339 date/time without milliseconds, "
                          f"e.g. 2020-02-28T00:00:00Z; got {text!r}.")
    try:
        value = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise WindowError(f"{name} is not a real date/time: {text!r}.") from None
    return value.astimezone(timezone.utc)


def list_records(seed: int, location: str, resource: str, start: datetime, end: datetime,
                 now: datetime) -> list[dict[str, Any]]:
    """Every record of *resource* at *location* whose timestamp is in ``[start, end)``, oldest first."""
    lo, hi = max(start, now - RETENTION), min(end, now)
    out = []
    hour = int((lo - _EPOCH).total_seconds()) // HOUR
    while hour * HOUR < (hi - _EPOCH).total_seconds():
        for record, at in _hour(seed, location, resource, hour):
            if lo <= at < hi:
                out.append(record)
        hour += 1
    return out


def find_record(seed: int, location: str, resource: str, record_id: str, now: datetime) -> dict[str, Any] | None:
    """The record *record_id* of *resource* at *location*, or None if it does not exist (now)."""
    if len(record_id) != 26:
        return None
    try:
        hour, index = int(record_id[17:25], 36), int(record_id[25], 36)
    except ValueError:
        return None
    for n, (record, at) in enumerate(_hour(seed, location, resource, hour)):
        if n == index and record["id"] == record_id and now - RETENTION <= at <= now:
            return record
    return None


def _hour(seed: int, location: str, resource: str, hour: int) -> Iterator[tuple[dict[str, Any], datetime]]:
    """The records of one UTC hour, in time order, with their timestamps."""
    count = number(seed, "spoton", location, resource, hour, below=4)
    seconds = sorted(number(seed, "spoton", location, resource, hour, i, "at", below=HOUR) for i in range(count))
    for i, second in enumerate(seconds):
        at = _EPOCH + timedelta(seconds=hour * HOUR + second)
        key = (seed, location, resource, hour, i)
        record_id = token(*key, length=17) + to_base36(hour, 8) + to_base36(i, 1)
        make = _cash_deposit if resource == "cash-deposits" else _paid_in_out
        yield make(record_id, location, at, key), at


def _pick(key: tuple, what: str, options: list) -> Any:
    return options[number(*key, what, below=len(options))]


def _employee_id(seed: int, i: int) -> str:
    return token(seed, "spoton-employee", i)


def _cash_deposit(record_id: str, location: str, at: datetime, key: tuple) -> dict[str, Any]:
    seed = key[0]
    employee = number(*key, "employee", below=len(EMPLOYEES))
    position = number(*key, "position", below=len(POSITIONS))
    edited = number(*key, "edited", below=5) == 0  # a manager updated it afterwards
    cents = 2000 + number(*key, "amount", below=48000)
    if number(*key, "negative", below=20) == 0:
        cents = -cents  # negative values are permissible
    return {
        "id": record_id,
        "locationId": location,
        "deleted": number(*key, "deleted", below=25) == 0,
        "amount": format_amount(cents),
        "employeeId": _employee_id(seed, employee),
        "jobPositionId": token(seed, "spoton-position", position),
        "recordedAt": format_instant(at - timedelta(seconds=number(*key, "recorded", below=7200))),
        "lastUpdatedByEmployeeId": _employee_id(seed, 0 if edited else employee),
        "lastUpdatedByJobPositionId": token(seed, "spoton-position", 3 if edited else position),
        "lastUpdatedAt": format_instant(at),
    }


def _paid_in_out(record_id: str, location: str, at: datetime, key: tuple) -> dict[str, Any]:
    seed = key[0]
    employee = number(*key, "employee", below=len(EMPLOYEES))
    kind = "IN" if number(*key, "kind", below=3) == 0 else "OUT"
    reason, notes = _pick(key, "reason", REASONS[kind])
    option = number(*key, "option", below=len(PAYMENT_OPTIONS))
    return {
        "id": record_id,
        "locationId": location,
        "deleted": number(*key, "deleted", below=30) == 0,
        "voided": number(*key, "voided", below=12) == 0,
        "paymentOptionId": token(seed, "spoton-payment-option", option, length=10),
        "amount": format_amount(100 + number(*key, "amount", below=9900)),
        "employeeId": _employee_id(seed, employee),
        "employeeName": EMPLOYEES[employee],
        "createdAt": format_instant(at),
        "kind": kind,
        "reason": reason,
        "notes": notes,
    }


def format_amount(cents: int) -> str:
    """US dollars as SpotOn writes them: the shortest decimal string ($5.20 -> "5.2", $147 -> "147")."""
    whole, frac = divmod(abs(cents), 100)
    text = str(whole) if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")
    return f"-{text}" if cents < 0 else text
