"""Ruby VCR cassettes -> raw exchanges (``http_interactions`` / ``recorded_with: VCR x.y``,
YAML or JSON serializer).

VCR writes methods in lower case, bodies as ``{encoding, string}`` (Psych writes a body
that is not UTF-8 as ``!binary`` base64; VCR's JSON serializer as ``base64_string``),
``http_version`` as ``"1.1"`` or nothing, and ``recorded_at`` as an HTTP date, kept as
the exchange's start. Bodies are as the Ruby client returned them: Net::HTTP inflates
gzip and drops its header, so a ``Content-Length`` may not match (capture measures the
body itself).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from tillroll.capture import RawExchange
from .cassettes import Note, Times, each_exchange, body_of, exchange, headers_of, http_date, interactions, mapping, status_of
from .har import BrokenEntry


def read_ruby_vcr(doc: Any, *, max_body: int, now: dt.datetime) -> Iterator[RawExchange | BrokenEntry | Note]:
    """Every interaction of the Ruby VCR cassette *doc* (loaded YAML or JSON)."""
    times = Times(now)
    yield from each_exchange(interactions(doc, "http_interactions", "VCR cassette"),
                             lambda item, index: _exchange(item, index, times, max_body), times, "interactions without a recorded_at")


def _exchange(item: Any, index: int, times: Times, max_body: int) -> RawExchange:
    request = mapping(item, "request", "")
    response = mapping(item, "response", "")
    request_headers = headers_of(request.get("headers"), "request ")
    response_headers = headers_of(response.get("headers"), "response ")
    status, reason = status_of(response)
    version = response.get("http_version")
    return exchange(
        method=request.get("method"), uri=request.get("uri"), request_headers=request_headers,
        request_body=body_of(request.get("body"), "request "), status=status, reason=reason,
        response_headers=response_headers, response_body=body_of(response.get("body"), "response "),
        started_at=times.started(index, http_date(item.get("recorded_at")), response_headers), max_body=max_body,
        http_version=str(version) if isinstance(version, (str, float)) and str(version) else None)
