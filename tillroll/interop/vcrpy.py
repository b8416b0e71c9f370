"""vcrpy cassettes -> raw exchanges: format version 1 (YAML or JSON serializer) and the
format before vcrpy 1.0 (a top-level list; requests with ``host``/``port``/``path``, written
by YAML as ``!!python/object:vcr.request.Request``, read here as plain data).

vcrpy keeps bodies as the client received them (gzip stays gzip unless the user chose
``decode_compressed_response``) and records no times: each exchange is timed by its
response's ``Date`` header, else by the import time, and the import says which.
(Writing vcrpy cassettes is :mod:`tillroll.interop.vcr`.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from tillroll.capture import RawExchange
from .cassettes import NotACassette, Note, Times, each_exchange, body_of, exchange, headers_of, mapping, status_of
from .har import BrokenEntry

VERSIONS = (1,)


def read_vcrpy(doc: Any, *, max_body: int, now: dt.datetime) -> Iterator[RawExchange | BrokenEntry | Note]:
    """Every interaction of the vcrpy cassette *doc* (loaded JSON or YAML)."""
    if isinstance(doc, list):  # before vcrpy 1.0
        items, old = doc, True
    elif isinstance(doc, dict) and "interactions" in doc:
        version = doc.get("version")
        if version not in VERSIONS:
            raise NotACassette(f"is a vcrpy cassette of format version {str(version)[:10]!r} "
                               "(tillroll reads version 1 and the format before vcrpy 1.0)")
        items, old = doc["interactions"], False
        if not isinstance(items, list):
            raise NotACassette("is not a vcrpy cassette (its interactions are not a list)")
    else:
        raise NotACassette("is not a vcrpy cassette (no interactions list, nor the old list of requests)")
    times = Times(now)
    yield from each_exchange(items, lambda item, index: _exchange(item, index, old, times, max_body), times,
                             "vcrpy cassettes keep no recorded times")


def _exchange(item: Any, index: int, old: bool, times: Times, max_body: int) -> RawExchange:
    request = mapping(item, "request", "")
    response = mapping(item, "response", "")
    request_headers = headers_of(request.get("headers"), "request ")
    response_headers = headers_of(response.get("headers"), "response ")
    status, reason = status_of(response)
    return exchange(
        method=request.get("method"), uri=_uri(request, old), request_headers=request_headers,
        request_body=body_of(request.get("body"), "request "), status=status, reason=reason,
        response_headers=response_headers, response_body=body_of(response.get("body"), "response "),
        started_at=times.started(index, None, response_headers), max_body=max_body)


def _uri(request: dict, old: bool) -> Any:
    if "uri" in request or not old:
        return request.get("uri")
    scheme, host, port, path = (request.get(k) for k in ("protocol", "host", "port", "path"))
    if not all(isinstance(v, str) for v in (scheme, host, path)):
        raise BrokenEntry("has no request uri (nor protocol, host and path)")
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port in (None, default, str(default)) else f"{host}:{port}"
    return f"{scheme}://{netloc}{path if path.startswith('/') else '/' + path}"
