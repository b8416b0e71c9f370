"""mitmproxy flows -> neutral raw exchanges (for the recording addon and flow-file import).

Timings follow HAR 1.2 as mitmproxy's own ``savehar`` computes them; connect and TLS
time are only counted for the first flow on a server connection.
"""

from __future__ import annotations

import datetime as dt

from mitmproxy import http

from .raw import RawExchange, RawRequest, RawResponse


def raw_from_flow(flow: http.HTTPFlow, *, max_body: int, request_stream: tuple[bytes, int] | None = None,
                  response_stream: tuple[bytes, int] | None = None, new_connection: bool = True) -> RawExchange:
    """The raw exchange of *flow*. Bodies longer than *max_body* are cut (and flagged).

    A body that was streamed is not in the flow: *request_stream* / *response_stream*
    give ``(first bytes kept, total bytes seen)`` for it instead. Bodies stay
    content-encoded, as on the wire.
    """
    req = flow.request
    body, size, cut = _body(req.raw_content, max_body, request_stream)
    request = RawRequest(
        method=req.method, scheme=req.scheme, host=req.pretty_host, port=req.port,
        path=req.path.split("?", 1)[0], query=req.path.split("?", 1)[1] if "?" in req.path else "",
        http_version=req.http_version, headers=[(k, v) for k, v in req.headers.items(multi=True)],
        body=body, body_size=size, truncated=cut,
    )
    raw = RawExchange(request=request, started_at=dt.datetime.fromtimestamp(req.timestamp_start, dt.timezone.utc))
    if flow.response is not None:
        resp = flow.response
        body, size, cut = _body(resp.raw_content, max_body, response_stream)
        raw.response = RawResponse(
            status=resp.status_code, reason=resp.reason, http_version=resp.http_version,
            headers=[(k, v) for k, v in resp.headers.items(multi=True)], body=body, body_size=size, truncated=cut,
        )
    if flow.error is not None and flow.response is None:
        raw.error = flow.error.msg
    _timings(flow, raw, new_connection)
    return raw


def _body(content: bytes | None, max_body: int,
          stream: tuple[bytes, int] | None) -> tuple[bytes | None, int | None, bool]:
    """``(stored body, size on the wire, truncated)``."""
    if stream is not None:  # streamed: only the first bytes were kept
        kept, total = stream
        return kept[:max_body], total, True
    if content is None:
        return None, None, False
    if len(content) > max_body:
        return content[:max_body], len(content), True
    return content, len(content), False


def _ms(later: float | None, earlier: float | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max(0.0, 1000 * (later - earlier))


def _timings(flow: http.HTTPFlow, raw: RawExchange, new_connection: bool) -> None:
    req, resp, server = flow.request, flow.response, flow.server_conn
    if new_connection and server is not None and server.timestamp_tcp_setup:
        raw.connect_ms = _ms(server.timestamp_tcp_setup, server.timestamp_start)
        raw.tls_ms = _ms(server.timestamp_tls_setup, server.timestamp_tcp_setup)
    raw.send_ms = _ms(req.timestamp_end, req.timestamp_start)
    if resp is not None:
        raw.wait_ms = _ms(resp.timestamp_start, req.timestamp_end)
        raw.receive_ms = _ms(resp.timestamp_end, resp.timestamp_start)
        raw.duration_ms = _ms(resp.timestamp_end or resp.timestamp_start, req.timestamp_start)
