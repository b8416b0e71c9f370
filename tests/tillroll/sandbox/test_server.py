"""start_sandbox: a real server in a background thread, over HTTP and HTTPS, stopped cleanly."""

from __future__ import annotations

import json
import socket
import ssl
import urllib.request

import pytest

from tillroll.sandbox import FakeClock, start_sandbox
from tillroll.sandbox.tls import client_ssl_context, server_ssl_context, write_certificates


def read_json(url: str, context: ssl.SSLContext | None = None):
    with urllib.request.urlopen(url, timeout=5, context=context) as resp:
        return resp.status, json.loads(resp.read())


def test_serves_on_a_free_port_and_stops_on_exit():
    clock = FakeClock("2024-05-01T12:00:00Z")
    with start_sandbox(clock=clock) as url:
        assert url.startswith("http://127.0.0.1:")
        clock.advance(60)  # the test thread moves the clock the server reads
        assert read_json(url + "/__sandbox/clock") == (200, {"now": "2024-05-01T12:01:00.000Z", "movable": True})
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_a_busy_port_is_reported_not_hung():
    with start_sandbox() as url, pytest.raises(OSError):
        with start_sandbox(port=int(url.rsplit(":", 1)[1])):
            pass


def test_https_with_the_sandbox_ca(tmp_path):
    with start_sandbox(ssl_context=server_ssl_context(tmp_path)) as url:
        assert url.startswith("https://127.0.0.1:")
        status, body = read_json(url + "/__sandbox/credentials", client_ssl_context(tmp_path))
        assert status == 200 and body["ACCOUNT_KEY"] == "ABCD1234"
        localhost = url.replace("127.0.0.1", "localhost")
        assert read_json(localhost + "/__sandbox/clock", client_ssl_context(tmp_path))[0] == 200
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            read_json(url + "/__sandbox/clock", ssl.create_default_context())


def test_certificates_are_reused_once_written(tmp_path):
    first = [p.read_bytes() for p in write_certificates(tmp_path)]
    assert [p.read_bytes() for p in write_certificates(tmp_path)] == first
    assert (tmp_path / "key.pem").stat().st_mode & 0o077 == 0
