"""mitmproxy flow files (``mitmdump -w``) <-> tillroll.

Reading streams flows with mitmproxy's own reader (which migrates older flow-format
versions) and turns each into a raw exchange with the recording addon's own
:func:`~tillroll.capture.flows.raw_from_flow`. Writing builds flows with mitmproxy's own classes,
so ``mitmproxy -r`` and ``mitmweb -r`` open what tillroll exports.
"""

from __future__ import annotations

import uuid
from typing import BinaryIO, Iterator

from mitmproxy import connection, exceptions, http, io, version
from mitmproxy.flow import Error

from tillroll.capture.content import UndecodableContent, encode_content
from tillroll.store.exchange import Exchange
from tillroll.capture.flows import raw_from_flow
from tillroll.capture import RawExchange
from .har import BrokenEntry

FLOW_FORMAT = version.FLOW_FORMAT_VERSION


class UnreadableFlows(Exception):
    """The flow file cannot be read on (a newer format, a truncated file): one sentence."""


def read_flows(fo: BinaryIO, *, max_body: int) -> Iterator[RawExchange | BrokenEntry]:
    """Every HTTP flow of *fo* as a raw exchange; a flow that is not HTTP (TCP, UDP, DNS)
    or cannot be converted comes as a :class:`BrokenEntry` instead. Raises
    :class:`UnreadableFlows` when the file cannot be read on."""
    seen_connections: set[str] = set()
    start = fo.read(4)
    fo.seek(0)
    if start.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):  # mitmproxy's reader would load it whole as HAR
        raise UnreadableFlows("it is JSON (HAR?), not a mitmproxy flow file")
    reader = io.FlowReader(fo).stream()
    while True:
        try:
            flow = next(reader)
        except StopIteration:
            return
        except exceptions.FlowReadException as exc:
            raise UnreadableFlows(_why(str(exc))) from None
        if not isinstance(flow, http.HTTPFlow):
            yield BrokenEntry(f"is a {type(flow).__name__} (not HTTP)")
            continue
        server = flow.server_conn
        new_connection = server is None or server.id not in seen_connections
        if server is not None:
            seen_connections.add(server.id)
        try:
            yield raw_from_flow(flow, max_body=max_body, new_connection=new_connection)
        except Exception as exc:  # a flow mitmproxy read but that makes no exchange
            yield BrokenEntry(f"cannot be converted ({type(exc).__name__})")


def _why(message: str) -> str:
    if "flow format version" in message:
        return f"{message.rstrip('.')} (tillroll reads flow format {FLOW_FORMAT}, mitmproxy {version.VERSION})"
    if message == "Invalid data format.":
        return "it is not a complete mitmproxy flow file (truncated or damaged)"
    return message


def flow_from_exchange(ex: Exchange, *, request_body: bytes | None, response_body: bytes | None) -> http.HTTPFlow:
    """A mitmproxy flow of a stored exchange (bodies passed decoded; re-encoded as recorded)."""
    start = ex.started_at.timestamp()
    send, wait, receive = (ex.send_ms or 0.0) / 1000, (ex.wait_ms or 0.0) / 1000, (ex.receive_ms or 0.0) / 1000
    client = connection.Client(peername=("127.0.0.1", 0), sockname=("127.0.0.1", 0), timestamp_start=start)
    server = connection.Server(address=(ex.host, ex.port))
    server.id = str(uuid.uuid4())
    if ex.connect_ms is not None:  # the exchange opened its connection: keep how long that took
        tcp = start - (ex.connect_ms + (ex.tls_ms or 0.0)) / 1000
        server.timestamp_start = tcp
        server.timestamp_tcp_setup = tcp + ex.connect_ms / 1000
        if ex.tls_ms is not None:
            server.timestamp_tls_setup = server.timestamp_tcp_setup + ex.tls_ms / 1000
    flow = http.HTTPFlow(client, server)
    target = ex.path + (f"?{ex.query}" if ex.query else "")
    flow.request = http.Request(
        host=ex.host, port=ex.port, method=ex.method.encode(), scheme=(ex.scheme or "http").encode(),
        authority=b"", path=target.encode(), http_version=(ex.http_version or "HTTP/1.1").encode(),
        headers=http.Headers([(k.encode(), v.encode()) for k, v in ex.request_headers or ()]),
        content=_encoded(request_body, ex.request_content_encoding), trailers=None,
        timestamp_start=start, timestamp_end=start + send,
    )
    if ex.status is not None:
        flow.response = http.Response(
            http_version=(ex.http_version or "HTTP/1.1").encode(), status_code=ex.status,
            reason=(ex.reason or "").encode(),
            headers=http.Headers([(k.encode(), v.encode()) for k, v in ex.response_headers or ()]),
            content=_encoded(response_body, ex.response_content_encoding), trailers=None,
            timestamp_start=start + send + wait, timestamp_end=start + send + wait + receive,
        )
    elif ex.error:
        flow.error = Error(ex.error, timestamp=start)
    flow.comment = " ".join(x for x in (ex.vendor, ex.operation, ex.outcome) if x)
    return flow


def _encoded(body: bytes | None, coding: str | None) -> bytes | None:
    """The body as it went over the wire (tillroll stores it decoded)."""
    if body is None or not coding:
        return body
    try:
        return encode_content(body, coding)
    except (KeyError, UndecodableContent):
        return body
