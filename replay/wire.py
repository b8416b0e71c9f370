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
from functools import cache

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE, HttpVersion11
from multidict import CIMultiDict, CIMultiDictProxy

# aiohttp refuses these in a header (http_writer._FORBIDDEN_HEADER_CHARS_RE)
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NO_BODY_STATUS = frozenset({204, 304})  # and 1xx
_NO_BODY_METHODS = frozenset({"HEAD", "CONNECT"})


class Wire:
    """A prebuilt answer: its bytes, and what ``response.headers`` shows (built when asked)."""

    __slots__ = ("status", "reason", "head", "tail", "_pairs", "_headers")

    def __init__(self, status: int, reason: str, head: bytes, tail: bytes | None, pairs: list[tuple[str, str]]):
        self.status, self.reason = status, reason
        self.head = head  # status line and headers up to the Date line, or all of them and the body
        self.tail = tail  # after the Date line: the rest of the headers and the body; None: no Date to add
        self._pairs = pairs  # the headers written, but the Date line added at each write
        self._headers = None

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """What ``response.headers`` shows; nothing on the serving path reads it."""
        if self._headers is None:
            self._headers = CIMultiDictProxy(CIMultiDict(self._pairs))
        return self._headers


def wire_of(status: int | None, reason: str | None, headers: list[tuple[str, str]], body: bytes) -> Wire | None:
    """The bytes aiohttp would write for ``web.Response(status=status, reason=reason,
    body=body, headers=headers)`` to an HTTP/1.1 keep-alive GET; None where a response
    must be built as usual (no status, no body allowed, a header or reason aiohttp refuses).

    aiohttp keeps the given headers in order in a case-insensitive dict (``str.lower``),
    then adds Content-Length, Content-Type (when there is a body), Date and Server where
    missing; the same is written here without the dict (this runs once per recording
    served, thousands of times a second for a request recorded thousands of times)."""
    if status is None or not 200 <= status <= 999 or status in _NO_BODY_STATUS:
        return None
    if reason is None or reason == "":
        reason = _phrase(status)
    elif "\r" in reason or "\n" in reason:
        return None
    names = "\t".join([name for name, _ in headers])
    if ":" in names or (headers and _FORBIDDEN.search("\t".join([names, *(value for _, value in headers)]))):
        return None  # (a tab is allowed in both: it joins them here)
    present = {name.lower() for name, _ in headers}
    if "" in present or "content-length" in present:  # responses.build drops the recorded one
        return None
    pairs = list(headers)
    pairs.append(("Content-Length", str(len(body))))
    if body and "content-type" not in present:
        pairs.append(("Content-Type", "application/octet-stream"))
    dated = "date" in present
    if "server" not in present:
        pairs.append(("Server", SERVER_SOFTWARE))
    lines = "".join([f"{name}: {value}\r\n" for name, value in pairs])
    if dated:
        return Wire(status, reason, f"HTTP/1.1 {status} {reason}\r\n{lines}\r\n".encode("utf-8") + body, None, pairs)
    # aiohttp adds Date before Server: the Date line goes before the Server line when one was added
    cut = len(lines) - (0 if "server" in present else len(f"Server: {SERVER_SOFTWARE}\r\n"))
    head = f"HTTP/1.1 {status} {reason}\r\n{lines[:cut]}".encode("utf-8")
    tail = f"{lines[cut:]}\r\n".encode("utf-8")
    return Wire(status, reason, head, tail + body, pairs)


@cache
def _phrase(status: int) -> str:
    """aiohttp's reason phrase for *status* (its own table)."""
    return web.Response(status=status).reason


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
        self._status = wire.status
        self._reason = wire.reason
        self._wire = wire

    @property
    def _headers(self) -> CIMultiDictProxy[str]:  # read-only: nothing is added to a prebuilt answer
        return self._wire.headers

    async def prepare(self, request: web.BaseRequest):
        if self._eof_sent:
            return None
        if self._payload_writer is not None:
            return self._payload_writer
        writer = self._payload_writer = request.writer
        self._req = request
        self._keep_alive = True
        head, tail = self._wire.head, self._wire.tail
        # write() sends it at once and waits only when the transport's buffer is over its limit
        await writer.write(head if tail is None else b"".join((head, _date_line(), tail)))
        return writer
