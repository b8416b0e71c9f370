"""A mitmproxy flow read into a raw exchange: what mitmproxy's own properties say of it
(host as ``pretty_host``, path and query, headers decoded with ``surrogateescape``), read
from the flow's data once."""

from __future__ import annotations

import dataclasses

import pytest
from mitmproxy import http
from mitmproxy.test import tflow

from tillroll.capture import flows
from tillroll.capture.flows import raw_from_flow


def _as_properties_say(flow: http.HTTPFlow) -> dict:
    """The request as mitmproxy's public properties give it: the reference."""
    req = flow.request
    path, _, query = req.path.partition("?")
    return {"method": req.method, "scheme": req.scheme, "host": req.pretty_host, "port": req.port, "path": path,
            "query": query, "http_version": req.http_version, "headers": list(req.headers.items(multi=True))}


def _flow(request: http.Request) -> http.HTTPFlow:
    flow = tflow.tflow(resp=True)
    flow.request = request
    flow.response.headers = http.Headers([(b"Content-Type", b"application/json"), (b"X-Caf\xc3\xa9", b"\xff\xfe")])
    return flow


def _request(url: str, headers: list[tuple[bytes, bytes]], version: str = "HTTP/1.1",
             target: bytes | None = None) -> http.Request:
    req = http.Request.make("POST", url, b'{"a": 1}')
    req.headers = http.Headers(headers)  # as received (make() writes a Host header of its own)
    req.http_version = version
    if target is not None:
        req.data.path = target
    return req


CASES = [
    ("https://api.spoonity.com/v1/order?api_key=k&x=1", [(b"Host", b"api.spoonity.com")], "HTTP/1.1", None),
    ("https://10.0.0.7:8443/q", [(b"host", b"pos.mydrycleaner.com:8443")], "HTTP/1.1", None),  # transparent: the header wins
    ("https://10.0.0.7/q", [], "HTTP/1.1", None),  # no Host header: the target host
    ("https://10.0.0.7/q?", [(b"HOST", b"[::1]:99")], "HTTP/1.1", None),
    ("https://a.example/x", [(b"Host", b"one.example"), (b"Host", b"two.example")], "HTTP/1.1", None),
    ("https://a.example/x", [(b"Host", b"not a host\xff")], "HTTP/1.1", None),
    ("https://a.example/x", [(b"X-\xc3\xa9", b"v\xff")], "HTTP/2.0", b"/p%20q/\xc3\xa9?b=\xff&c=?"),
    ("https://h2.example/x", [(b"Host", b"other.example")], "HTTP/2.0", None),
    ("https://h3.example/x", [], "HTTP/3", None),
]


@pytest.mark.parametrize("url,headers,version,target", CASES)
def test_a_flow_is_read_as_mitmproxys_properties_give_it(url, headers, version, target):
    flow = _flow(_request(url, headers, version, target))
    for _ in range(2):  # the second time from the memo of hosts
        raw = raw_from_flow(flow, max_body=1 << 20)
        got = {name: getattr(raw.request, name) for name in _as_properties_say(flow)}
        assert got == _as_properties_say(flow)
        assert raw.response.headers == list(flow.response.headers.items(multi=True))


def test_an_http2_authority_decides_the_host_as_mitmproxy_says():
    flow = _flow(_request("https://h2.example/x", [(b"Host", b"other.example")], "HTTP/2.0"))
    flow.request.authority = "auth.example:443"
    assert raw_from_flow(flow, max_body=1 << 20).request.host == flow.request.pretty_host == "auth.example"
    flow.request.authority = ""
    assert raw_from_flow(flow, max_body=1 << 20).request.host == flow.request.pretty_host == "other.example"


def test_the_memo_of_hosts_is_bounded():
    for i in range(flows._PRETTY_HOSTS_KEPT + 10):
        flow = _flow(_request("https://10.0.0.7/q", [(b"Host", f"h{i}.example".encode())]))
        assert raw_from_flow(flow, max_body=1 << 20).request.host == f"h{i}.example"
    assert len(flows._PRETTY_HOSTS) <= flows._PRETTY_HOSTS_KEPT


def test_a_body_over_the_limit_is_cut_and_flagged():
    flow = _flow(_request("https://a.example/x", []))
    flow.request.content = b"x" * 100
    raw = raw_from_flow(flow, max_body=10)
    assert (raw.request.body, raw.request.body_size, raw.request.truncated) == (b"x" * 10, 100, True)
