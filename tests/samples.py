"""The vendor documentation samples (tests/fixtures/vendor_samples) as raw exchanges."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tillroll.capture import RawExchange, RawRequest, RawResponse
from tillroll.capture import Redactor

SAMPLES = Path(__file__).parent / "fixtures" / "vendor_samples"
T0 = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.timezone.utc)
KEY = b"test-key-0123456789abcdef0123456789"
JSON_HEADERS = [("Content-Type", "application/json"), ("Accept", "application/json")]


def redactor() -> Redactor:
    return Redactor(KEY)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sample_json(name: str):
    return json.loads(sample(name))


def exchange(method: str, host: str, path: str, *, query: str = "", body: bytes | None = None,
             headers=None, status: int | None = 200, response: bytes | None = None,
             response_headers=None, error: str | None = None) -> RawExchange:
    req = RawRequest(method, "https", host, 443, path, query=query,
                     headers=list(headers if headers is not None else JSON_HEADERS), body=body)
    resp = None
    if status is not None:
        resp = RawResponse(status, "OK" if status < 400 else "Error",
                           headers=list(response_headers if response_headers is not None else JSON_HEADERS),
                           body=response)
    return RawExchange(req, T0, resp, error=error, duration_ms=12.0)


def stored_text(ex) -> str:
    """Every text the stored record holds, in one string, for leak checks."""
    parts = [ex.path, ex.query or "", ex.params_json or "", ex.request_body_text or "",
             ex.response_body_text or "", ex.outcome_message or "", ex.error or ""]
    parts += [f"{k}: {v}" for k, v in ex.request_headers + (ex.response_headers or [])]
    return "\n".join(parts)
