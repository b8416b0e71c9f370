"""Traffic for the vendor-rule checks, written as a HAR 1.2 file and imported the way a user
imports one (`tillroll.interop.importer.import_files`: the recording pipeline, redaction
and match keys included), so a check sees what it would see in a real cassette.

    day = [call(at(0), "POST", "https://api.example.com/q", json_body={...}, response={...}), ...]
    cassette = import_day(tmp_path / "c", day)
    findings = [f for f in checks.run(connect([cassette])) if f.rule == "spot-..."]

Times are exact (UTC, to the millisecond), so a planted violation can be asserted on
exactly one exchange: ``exchange_at(cassette, t)`` is the id of the one started at *t*.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb

from tillroll.interop.importer import import_files

KEY = b"check-tests-key-0123456789abcdef"
DAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)


def at(minutes: float, day: dt.datetime = DAY) -> dt.datetime:
    return day + dt.timedelta(minutes=minutes)


def call(t: dt.datetime, method: str, url: str, *, headers: list[tuple[str, str]] | None = None,
         json_body: Any = None, body: str | bytes | None = None, content_type: str | None = None,
         status: int = 200, response: Any = None, response_text: str | None = None,
         response_headers: list[tuple[str, str]] | None = None, ms: float = 40.0) -> dict:
    """One HAR entry. *json_body* / *response* are dumped as JSON; *body* / *response_text*
    are sent as they are (invalid JSON, forms, XML)."""
    request_headers = list(headers or [])
    post = None
    if json_body is not None or body is not None:
        text = json.dumps(json_body) if json_body is not None else body
        mime = content_type or ("application/json" if json_body is not None else "text/plain")
        request_headers.append(("Content-Type", mime))
        if isinstance(text, bytes):
            post = {"mimeType": mime, "text": base64.b64encode(text).decode(), "encoding": "base64"}
        else:
            post = {"mimeType": mime, "text": text}
    out_text = json.dumps(response) if response is not None else (response_text or "")
    out_headers = list(response_headers or [("Content-Type", "application/json" if response is not None
                                             else "text/plain")])
    path, _, query = url.partition("?")
    entry = {
        "startedDateTime": t.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": ms,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1",
                    "headers": [{"name": k, "value": v} for k, v in request_headers],
                    "queryString": [{"name": k, "value": v} for k, _, v in
                                    (p.partition("=") for p in query.split("&") if p)],
                    "cookies": [], "headersSize": -1, "bodySize": -1},
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1",
                     "headers": [{"name": k, "value": v} for k, v in out_headers], "cookies": [],
                     "content": {"size": len(out_text), "mimeType": out_headers[0][1], "text": out_text},
                     "redirectURL": "", "headersSize": -1, "bodySize": len(out_text)},
        "cache": {}, "timings": {"send": 1, "wait": ms - 2, "receive": 1},
    }
    if post is not None:
        entry["request"]["postData"] = post
    return entry


def write_har(path: Path, entries: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "tillroll tests", "version": "1"},
                                        "entries": entries}}))
    return path


def import_day(cassette: Path, entries: list[dict]) -> Path:
    """*entries* imported into a new cassette at *cassette*, through the recording pipeline."""
    har = write_har(cassette.with_suffix(".har"), entries)
    summary = import_files([har], cassette, KEY, workers=1)
    assert summary.imported == len(entries), summary.text()
    return cassette


def canary_day(cassette: Path) -> tuple[Path, dict[str, str]]:
    """Three calls carrying fresh canary secrets and PII (a SPOT SecurityID and SessionID, an
    email, a Spoonity api_key and card number), imported: the cassette and the canaries."""
    from tests.canaries import card_number, email, token

    canaries = {"session": token("sess-"), "security": token("SEC-"), "card": card_number(), "email": email(),
                "api_key": token("spoonity-")}
    day = [call(at(0), "POST", "https://api.mydrycleaner.com/q",
                json_body={"RequestType": "GetToken", "AccountKey": "ABCD1234", "SecurityID": canaries["security"]},
                response={"Failed": False, "ReturnObject": {"SessionID": canaries["session"]}}),
           call(at(1), "POST", "https://api.mydrycleaner.com/q",
                json_body={"RequestType": "GetCustomer", "AccountKey": "ABCD1234", "SessionID": canaries["session"],
                           "Parameters": {"EmailAddress": canaries["email"]}},
                response={"Failed": True, "Message": f"no customer {canaries['email']}"}),
           call(at(2), "POST", f"https://api.spoonity.com/order?api_key={canaries['api_key']}",
                json_body={"receipt_number": "R-1", "card_number": canaries["card"], "total": 5.0},
                response={"success": True, "reference_number": "1001"})]
    return import_day(cassette, day), canaries


def exchange_at(cassette: Path, t: dt.datetime) -> str:
    """The id of the one exchange of *cassette* that started at *t*."""
    files = f"{cassette}/date=*/*.parquet"
    [(exchange_id,)] = duckdb.sql(f"SELECT exchange_id FROM read_parquet('{files}') "
                                  f"WHERE started_at = '{t.isoformat()}'::TIMESTAMPTZ").fetchall()
    return exchange_id
