"""The neutral raw exchange: what every source (a mitmproxy flow, an aiohttp request,
a HAR entry) is turned into before tillroll looks at it.

Bodies are as they were on the wire (still compressed). Nothing here is redacted:
a :class:`RawExchange` never leaves memory; :func:`tillroll.capture.pipeline.capture` turns it
into the stored :class:`~tillroll.store.exchange.Exchange`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

Headers = list[tuple[str, str]]


@dataclasses.dataclass(slots=True)
class RawRequest:
    method: str
    scheme: str
    host: str
    port: int
    path: str  # without the query, as sent (percent-encoding kept)
    query: str = ""  # without '?', as sent
    http_version: str | None = "HTTP/1.1"
    headers: Headers = dataclasses.field(default_factory=list)
    body: bytes | None = None
    body_size: int | None = None  # on the wire; defaults to len(body)
    truncated: bool = False
    # The body is already decoded though Content-Encoding names a coding (a HAR keeps bodies
    # decoded and says their size on the wire): nothing is encoded only to be decoded again.
    decoded: bool = False

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


@dataclasses.dataclass(slots=True)
class RawResponse:
    status: int
    reason: str | None = None
    http_version: str | None = "HTTP/1.1"
    headers: Headers = dataclasses.field(default_factory=list)
    body: bytes | None = None
    body_size: int | None = None
    truncated: bool = False
    decoded: bool = False  # as RawRequest.decoded

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


@dataclasses.dataclass(slots=True)
class RawExchange:
    request: RawRequest
    started_at: dt.datetime
    response: RawResponse | None = None
    error: str | None = None  # transport error when there is no response
    duration_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    send_ms: float | None = None
    wait_ms: float | None = None
    receive_ms: float | None = None
    # the source's own grouping of its entries (a Postman collection's folders), stored as the
    # exchange's api when the vendor profile names none
    group: str | None = None


def header(headers: Headers, name: str) -> str | None:
    """The first value of header *name* (case-insensitive), or None."""
    name = name.lower()
    for key, value in headers:
        if key.lower() == name:
            return value
    return None
