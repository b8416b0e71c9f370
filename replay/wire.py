"""A recorded answer as the bytes aiohttp writes for it, built once per recording.

For every ``web.Response`` aiohttp makes a header dict, adds Content-Length, Content-Type,
Date and Server where missing, and serialises the lot; a replayed answer is the same bytes
every time but for a Date line the recording lacks. :func:`wire_of` builds those bytes once
(split around that Date line, when there is one to add), and :class:`WireResponse` writes
them in one call. Only where the bytes are exactly what ``web.Response`` would write: an
HTTP/1.1 keep-alive request, not HEAD or CONNECT, a status that carries a body, header
names and values a response may carry; everything else goes through ``web.Response``
(``tests/replay/test_wire.py`` compares the two on the socket).
"""

from __future__ import annotations

import re
import time
from email.utils import formatdate
from typing import NamedTuple

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE, HttpVersion11
from multidict import CIMultiDict, CIMultiDictProxy

# aiohttp refuses these in a header (http_writer._FORBIDDEN_HEADER_CHARS_RE)
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NO_BODY_STATUS = frozenset({204, 304})  # and 1xx
_NO_BODY_METHODS = frozenset({"HEAD", "CONNECT"})


class Wire(NamedTuple):
    status: int
    reason: str
    head: bytes  # status line and headers up to the Date line, or all of them and the body
    tail: bytes | None  # after the Date line: the rest of the headers and the body; None: no Date to add
    headers: CIMultiDictProxy[str]  # what ``response.headers`` shows


def wire_of(status: int | None, reason: str | None, headers: list[tuple[str, str]], body: bytes) -> Wire | None:
    """The bytes aiohttp would write for ``web.Response(status=status, reason=reason,
    body=body, headers=headers)`` to an HTTP/1.1 keep-alive GET; None where a response
    must be built as usual (no status, no body allowed, a header or reason aiohttp refuses)."""
    if status is None or not 200 <= status <= 999 or status in _NO_BODY_STATUS:
        return None
    if reason is None or reason == "":
        reason = web.Response(status=status).reason  # aiohttp's own phrase table
    elif "\r" in reason or "\n" in reason:
        return None
    out = CIMultiDict(headers)
    for name, value in out.items():
        if _FORBIDDEN.search(name) or _FORBIDDEN.search(value) or ":" in name or not name:
            return None
    if "Content-Length" in out:  # responses.build drops the recorded one: the server writes its own
        return None
    out["Content-Length"] = str(len(body))
    if body:
        out.setdefault("Content-Type", "application/octet-stream")
    dated = "Date" in out
    if not dated:
        out["Date"] = "\x00"  # a mark, cut out below
    out.setdefault("Server", SERVER_SOFTWARE)
    text = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in out.items()) + "\r\n"
    data = text.encode("utf-8")
    if dated:
        return Wire(status, reason, data + body, None, CIMultiDictProxy(out))
    head, _, tail = data.partition(b"Date: \x00\r\n")
    del out["Date"]
    return Wire(status, reason, head, tail + body, CIMultiDictProxy(out))


def fits(request: web.BaseRequest) -> bool:
    """Whether *request* is one a :class:`Wire` was built for."""
    return request.version == HttpVersion11 and request.keep_alive and request.method not in _NO_BODY_METHODS


_date = [0, b""]


def _date_line() -> bytes:
    now = int(time.time())
    if now != _date[0]:
        _date[0], _date[1] = now, f"Date: {formatdate(now, usegmt=True)}\r\n".encode("ascii")
    return _date[1]


class WireResponse(web.StreamResponse):
    """A response whose bytes were built before (see :func:`wire_of`); aiohttp prepares
    and ends it as any other."""

    def __init__(self, wire: Wire):
        # web.StreamResponse.__init__ would build a header dict and check the status: both done once, in wire_of
        self._state = {}
        self._headers = wire.headers  # read-only: nothing is added to a prebuilt answer
        self._status = wire.status
        self._reason = wire.reason
        self._wire = wire

    async def prepare(self, request: web.BaseRequest):
        if self._eof_sent:
            return None
        if self._payload_writer is not None:
            return self._payload_writer
        writer = self._payload_writer = request.writer
        self._req = request
        self._keep_alive = True
        _, _, head, tail, _ = self._wire
        # write() sends it at once and waits only when the transport's buffer is over its limit
        await writer.write(head if tail is None else b"".join((head, _date_line(), tail)))
        return writer
