"""Exchanges for tests: every column set to a value that is not its default."""

from __future__ import annotations

import datetime as dt

from tillroll.store.exchange import Exchange

T0 = dt.datetime(2026, 11, 21, 23, 59, 58, 123456, tzinfo=dt.timezone.utc)


def full_exchange(i: int = 0, *, started_at: dt.datetime | None = None) -> Exchange:
    """An exchange with every column populated, varied by *i*."""
    ex = Exchange(
        method="POST", scheme="https", host="api.mydrycleaner.com", port=8443, path="/q",
        started_at=started_at or T0 + dt.timedelta(milliseconds=i),
        redaction_policy="default", redaction_key_id="k-3f9a",
        duration_ms=12.5 + i, connect_ms=1.25, tls_ms=2.5, send_ms=0.125, wait_ms=8.0, receive_ms=0.625,
        query=f"a=1&a=2&i={i}", path_template="/q", http_version="HTTP/1.1",
        request_headers=[("Host", "api.mydrycleaner.com"), ("X-Dup", "1"), ("X-Dup", "2"),
                         ("Content-Type", "application/json")],
        request_content_type="application/json", request_content_encoding="gzip",
        request_body_size=321, request_truncated=True,
        vendor="spot", api="CustomerConnect", operation="GetCustomer",
        params_json='{"CustomerID": "C1"}', params_encoding="Body",
        status=200, reason="OK",
        response_headers=[("Content-Type", "application/json"), ("Set-Cookie", "a"), ("Set-Cookie", "b")],
        response_content_type="application/json", response_content_encoding="br",
        response_body_size=99, response_truncated=True,
        outcome="failed", outcome_message="Unable to load account.", error=None,
        match_key=f"mk-{i}", redactions=[("request.json.SessionID", "spot.session_id"),
                                         ("request.header.x-api-key", "generic.secret_name")],
    )
    ex.request_body = f'{{"RequestType": "GetCustomer", "n": {i}, "caf\u00e9": "\u2603"}}'.encode()
    ex.response_body = b"\x89PNG\r\n\x1a\n\x00\xff" + bytes([i % 256])  # not UTF-8: kept as bytes
    return ex


def error_exchange(i: int = 0) -> Exchange:
    """A request that never got a response (connection refused)."""
    return Exchange(method="GET", scheme="http", host="127.0.0.1", port=9, path="/nothing",
                    started_at=T0 + dt.timedelta(milliseconds=i), outcome="error",
                    error="connection refused", status=None)
