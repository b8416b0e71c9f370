"""The replay server with real clients on loopback."""

from __future__ import annotations

import gzip
import json
import socket
import urllib.error
import urllib.request

import pytest

from tests.replay.cassettes import write_cassette
from tests.samples import KEY, exchange
from tillroll.replay.app import Settings, make_app
from tillroll.replay.faults import Injector, parse
from tillroll.replay.server import ReplayServer, open_replayer
from tillroll.sandbox import start_sandbox
from tillroll.store import open_cassette


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "key"
    path.write_bytes(KEY)
    return path


def call(base: str, method: str, path: str, body: dict | bytes | None = None, headers=None):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def balance(n: int):
    return exchange("POST", "api.example.com", "/loyalty/balance", body=b'{"member": "M-1"}',
                    response=json.dumps({"points": n}).encode())


def serve(cassette, key_file, **kw):
    settings = {k: kw.pop(k) for k in list(kw) if k in Settings.__dataclass_fields__}
    opened = open_replayer(cassette, key_file=key_file, **kw)
    return ReplayServer(make_app(opened.replayer, Settings(**settings))), opened.replayer


def test_identical_requests_replay_in_recorded_order_then_repeat_the_last(tmp_path, key_file):
    cassette = write_cassette(tmp_path / "c", [balance(100), balance(40)])
    server, _ = serve(cassette, key_file)
    with server:
        points = [json.loads(call(server.base_url, "POST", "/loyalty/balance", {"member": "M-1"})[2])["points"]
                  for _ in range(3)]
        assert points == [100, 40, 40]
        assert call(server.base_url, "POST", "/__tillroll/reset")[0] == 200
        assert json.loads(call(server.base_url, "POST", "/loyalty/balance", {"member": "M-1"})[2]) == {"points": 100}


def test_an_exhausted_sequence_under_the_error_policy_says_so(tmp_path, key_file):
    cassette = write_cassette(tmp_path / "c", [balance(100)])
    server, _ = serve(cassette, key_file, sequence="error")
    with server:
        assert call(server.base_url, "POST", "/loyalty/balance", {"member": "M-1"})[0] == 200
        status, headers, body = call(server.base_url, "POST", "/loyalty/balance", {"member": "M-1"})
        assert status == 599 and headers["X-Tillroll-Miss"] == "exhausted"
        assert "were all served" in json.loads(body)["error"]


def test_a_miss_names_the_nearest_recording_the_failed_matcher_and_the_field(tmp_path, key_file):
    order = exchange("POST", "api.spoonity.com", "/order", query="api_key=live-key-0123456789",
                     body=b'{"card_number": "brandin@spoonity.com", "receipt_number": "R-1001", "total": 10}',
                     response=b'{"success": true}')
    other = exchange("GET", "api.spoonity.com", "/gift-card", query="api_key=live-key-0123456789", response=b"{}")
    cassette = write_cassette(tmp_path / "c", [order, other])
    server, replayer = serve(cassette, key_file, miss_status=404)
    with server:
        status, _, body = call(server.base_url, "POST", "/order?api_key=ci-key-abcdefghij",
                               {"card_number": "brandin@spoonity.com", "receipt_number": "R-1002", "total": 10})
    assert status == 404
    report = json.loads(body)
    nearest = report["nearest"][0]
    assert nearest["request"] == "POST /order (order.process)"
    assert nearest["failed_matchers"] == ["params"]
    assert nearest["diff"] == [{"field": "params.receipt_number", "request": "R-1002", "recorded": "R-1001",
                                "change": "different"}]
    assert "ci-key-abcdefghij" not in body.decode() and "live-key" not in body.decode()
    assert [e["matched"] for e in replayer.journal_entries()] == [False]


def test_responses_are_the_recorded_ones_re_encoded_as_recorded(tmp_path, key_file):
    payload = json.dumps({"customer": {"email": "ann@example.com"}, "points": 7}).encode()
    raw = exchange("GET", "api.example.com", "/me", response=gzip.compress(payload),
                   response_headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip"),
                                     ("Content-Length", "999"), ("X-Vendor", "v1")])
    raw.response.reason = "Fine"
    cassette = write_cassette(tmp_path / "c", [raw])
    [stored] = open_cassette(cassette).exchanges()
    server, _ = serve(cassette, key_file)
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 Fine\r\n")
    assert b"X-Vendor: v1" in head and b"Content-Encoding: gzip" in head
    assert f"Content-Length: {len(body)}".encode() in head
    assert gzip.decompress(body).decode() == stored.response_body_text
    assert "ann@example.com" not in stored.response_body_text


def test_absolute_form_requests_are_served_like_a_proxy_would(tmp_path, key_file):
    cassette = write_cassette(tmp_path / "c", [exchange("GET", "api.example.com", "/v1/items", response=b"[1]")])
    server, _ = serve(cassette, key_file)
    with server:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": server.base_url}))
        with opener.open("http://api.example.com/v1/items", timeout=10) as resp:
            assert resp.read() == b"[1]"


def test_garbage_on_the_socket_gets_an_error_and_the_server_keeps_serving(tmp_path, key_file):
    cassette = write_cassette(tmp_path / "c", [exchange("GET", "api.example.com", "/ok", response=b"ok")])
    server, _ = serve(cassette, key_file)
    with server:
        for garbage, says in [(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", b"HTTPS traffic"),
                              (b"HELLO THERE\x00\xff\r\n\r\n", b"Bad Request")]:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(garbage)
                answer = sock.recv(1024)
            assert answer.split(b" ")[1] == b"400" and says in answer
        assert call(server.base_url, "GET", "/ok")[2] == b"ok"


def test_faults_are_injected_at_the_rate_and_the_same_seed_gives_the_same_faults(tmp_path, key_file):
    cassette = write_cassette(tmp_path / "c", [balance(1)])

    def run():
        server, _ = serve(cassette, key_file, injector=Injector(parse(["5xx=0.3", "reset=0.2"]), seed=7))
        seen = []
        with server:
            for _ in range(30):
                try:
                    seen.append(call(server.base_url, "POST", "/loyalty/balance", {"member": "M-1"})[0])
                except (ConnectionError, urllib.error.URLError, OSError):
                    seen.append("reset")
        return seen

    first = run()
    assert first == run()
    assert {200, 503, "reset"} <= set(first)


def test_forward_and_record_send_misses_upstream_and_record_them(tmp_path, key_file):
    cassette = write_cassette(tmp_path / "c", [balance(1)])
    with start_sandbox() as upstream:
        server, replayer = serve(cassette, key_file, on_miss="record", upstream=upstream)
        with server:
            body = {"action_type": "identifyCustomers", "phone_number": "1111111111"}
            live = call(server.base_url, "POST", "/api/xgl", body, headers={"x-company-id": "c-1"})
            again = call(server.base_url, "POST", "/api/xgl", body, headers={"x-company-id": "c-1"})
        assert live[0] == again[0]
        assert [e["how"] for e in replayer.journal_entries()] == ["record", "replayed"]
    stored = open_cassette(cassette).read_table(["path", "request_body_text"])
    assert sorted(stored.column("path").to_pylist()) == ["/api/xgl", "/loyalty/balance"]
    assert not any("1111111111" in text for text in stored.column("request_body_text").to_pylist())


def test_forward_passes_misses_upstream_without_recording_them(tmp_path, key_file):
    cassette = write_cassette(tmp_path / "c", [balance(1)])
    with start_sandbox() as upstream:
        server, replayer = serve(cassette, key_file, on_miss="forward", upstream=upstream)
        with server:
            status, _, body = call(server.base_url, "GET", "/__sandbox/clock")
            replayed = call(server.base_url, "POST", "/loyalty/balance", {"member": "M-1"})
    assert status == 200 and "now" in json.loads(body)  # the sandbox answered
    assert json.loads(replayed[2]) == {"points": 1}
    assert [e["how"] for e in replayer.journal_entries()] == ["forward", "replayed"]
    assert open_cassette(cassette).read_table(["path"]).num_rows == 1


def test_https_with_a_given_certificate(tmp_path, key_file):
    from tillroll.replay.server import ssl_context
    from tillroll.sandbox.tls import client_ssl_context, write_certificates

    _, cert, key = write_certificates(tmp_path / "tls")
    cassette = write_cassette(tmp_path / "c", [exchange("GET", "api.example.com", "/v1/items", response=b"[1]")])
    opened = open_replayer(cassette, key_file=key_file)
    with ReplayServer(make_app(opened.replayer), ssl_context=ssl_context(cert, key)) as server:
        assert server.base_url.startswith("https://")
        with urllib.request.urlopen(server.base_url + "/v1/items", timeout=10,
                                    context=client_ssl_context(tmp_path / "tls")) as resp:
            assert resp.read() == b"[1]"


def test_recorded_latency_is_replayed_when_asked(tmp_path, key_file):
    import time

    slow = exchange("GET", "api.example.com", "/slow", response=b"ok")
    slow.duration_ms = 400.0
    cassette = write_cassette(tmp_path / "c", [slow])
    for latency, at_least in ((1.0, 0.4), (0.5, 0.2)):
        server, _ = serve(cassette, key_file, latency=latency)
        with server:
            t0 = time.monotonic()
            assert call(server.base_url, "GET", "/slow")[2] == b"ok"
            assert time.monotonic() - t0 >= at_least


def test_a_recorded_transport_error_replays_as_a_reset_connection(tmp_path, key_file):
    cassette = write_cassette(tmp_path / "c", [exchange("GET", "api.example.com", "/down", status=None,
                                                        error="connection refused")])
    server, replayer = serve(cassette, key_file)
    with server:
        with pytest.raises((ConnectionError, urllib.error.URLError, OSError)):
            call(server.base_url, "GET", "/down")
        [entry] = replayer.journal_entries()
        assert entry["how"] == "recorded transport error" and entry["matched"]
        assert call(server.base_url, "POST", "/__tillroll/reset")[0] == 200  # still serving


def test_the_host_header_gives_host_and_port_for_host_matching():
    from tillroll.replay.app import _host_port

    assert _host_port("api.example.com:8080", 80) == ("api.example.com", 8080)
    assert _host_port("api.example.com", 443) == ("api.example.com", 443)
    assert _host_port("[::1]:81", 80) == ("::1", 81) and _host_port("[::1]", 80) == ("::1", 80)


def test_an_unreachable_upstream_is_named_without_its_credentials(tmp_path, key_file):
    cassette = write_cassette(tmp_path / "c", [balance(1)])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    upstream = f"http://pos-user:s3cr3t-pass@127.0.0.1:{port}/api?token=abc123secret"
    server, _ = serve(cassette, key_file, on_miss="forward", upstream=upstream)
    with server:
        status, _, body = call(server.base_url, "GET", "/not/recorded")
    assert status == 502
    error = json.loads(body)["error"]
    assert f"127.0.0.1:{port}/api" in error and "s3cr3t-pass" not in error and "abc123secret" not in error
