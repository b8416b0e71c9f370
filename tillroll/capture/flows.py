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
    data = req.data  # read once, decoded as mitmproxy's properties decode it
    body, size, cut = _body(data.content, max_body, request_stream)
    fields = data.headers.fields
    path, _, query = data.path.decode("utf-8", "surrogateescape").partition("?")
    request = RawRequest(
        method=data.method.decode("utf-8", "surrogateescape").upper(), scheme=data.scheme.decode("utf-8", "surrogateescape"),
        host=_pretty_host(req, data, fields), port=data.port, path=path, query=query,
        http_version=data.http_version.decode("utf-8", "surrogateescape"), headers=_headers(fields),
        body=body, body_size=size, truncated=cut,
    )
    raw = RawExchange(request=request, started_at=dt.datetime.fromtimestamp(req.timestamp_start, dt.timezone.utc))
    if flow.response is not None:
        resp = flow.response
        body, size, cut = _body(resp.raw_content, max_body, response_stream)
        raw.response = RawResponse(
            status=resp.status_code, reason=resp.reason, http_version=resp.http_version,
            headers=_headers(resp.data.headers.fields), body=body, body_size=size, truncated=cut,
        )
    if flow.error is not None and flow.response is None:
        raw.error = flow.error.msg
    _timings(flow, raw, new_connection)
    return raw


def _headers(fields: tuple[tuple[bytes, bytes], ...]) -> list[tuple[str, str]]:
    """``headers.items(multi=True)``: names and values decoded as mitmproxy decodes them."""
    return [(k.decode("utf-8", "surrogateescape"), v.decode("utf-8", "surrogateescape")) for k, v in fields]


def _pretty_host(req: http.Request, data: http.RequestData, fields: tuple[tuple[bytes, bytes], ...]) -> str:
    """``req.pretty_host``, computed once for each set of what it depends on (the HTTP
    version, the authority, the target host, the Host headers): it parses the authority
    each time (a third of reading a flow), and a proxy sees the same few hosts."""
    hosts = tuple(v for k, v in fields if len(k) == 4 and k.lower() == b"host")
    key = (data.http_version, data.authority, data.host, hosts)
    host = _PRETTY_HOSTS.get(key)
    if host is None:
        host = req.pretty_host
        if len(_PRETTY_HOSTS) >= _PRETTY_HOSTS_KEPT:
            _PRETTY_HOSTS.clear()
        _PRETTY_HOSTS[key] = host
    return host


_PRETTY_HOSTS: dict[tuple, str] = {}
_PRETTY_HOSTS_KEPT = 1024  # hosts come from the traffic: bounded


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
