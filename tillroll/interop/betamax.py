"""Betamax cassettes -> raw exchanges (``http_interactions`` / ``recorded_with: betamax/x.y``).

Betamax copied VCR's shape and writes JSON: bodies as ``{string | base64_string,
encoding}``, headers as ``{name: [values]}``, ``recorded_at`` in ISO 8601 (kept as the
exchange's start). Cassettes from before Betamax 0.4 have ``status_code``, headers as
plain strings and a bare string request body, and may keep a body already inflated under
a ``Content-Encoding: gzip`` header: it is re-compressed, never inflated twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from tillroll.capture import RawExchange
from .cassettes import Note, Times, each_exchange, body_of, exchange, headers_of, interactions, iso_date, mapping, status_of
from .har import BrokenEntry


def read_betamax(doc: Any, *, max_body: int, now: dt.datetime) -> Iterator[RawExchange | BrokenEntry | Note]:
    """Every interaction of the Betamax cassette *doc* (loaded JSON)."""
    times = Times(now)
    yield from each_exchange(interactions(doc, "http_interactions", "Betamax cassette"),
                             lambda item, index: _exchange(item, index, times, max_body), times, "interactions without a recorded_at")


def _exchange(item: Any, index: int, times: Times, max_body: int) -> RawExchange:
    request = mapping(item, "request", "")
    response = mapping(item, "response", "")
    request_headers = headers_of(request.get("headers"), "request ")
    response_headers = headers_of(response.get("headers"), "response ")
    status, reason = status_of(response)
    request_body = body_of(request.get("body"), "request ")
    return exchange(
        method=request.get("method"), uri=request.get("uri"), request_headers=request_headers,
        request_body=request_body or None, status=status, reason=reason,  # legacy: "" for no body
        response_headers=response_headers, response_body=body_of(response.get("body"), "response "),
        started_at=times.started(index, iso_date(item.get("recorded_at")), response_headers), max_body=max_body)
