"""A prebuilt answer (replay.wire) is, on the socket, the bytes web.Response writes."""

from __future__ import annotations

import asyncio
import email.utils
import re
import time

from aiohttp import web
from hypothesis import HealthCheck, given, settings, strategies as st

from tillroll.replay.wire import WireResponse, wire_of

CASES = [
    # (status, reason, headers, body)
    (200, "OK", [("Content-Type", "application/json"), ("Date", "Mon, 23 Nov 2026 10:00:00 GMT")], b'{"a": 1}'),
    (200, None, [("Content-Type", "application/json")], b'{"a": 1}'),  # no Date: the server's, now
    (201, "", [], b"no content type"),  # aiohttp's default type
    (200, "OK", [("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-Many", "1"), ("X-Many", "2")], b"x"),
    (500, "Internal Server Error", [("Content-Type", "text/plain")], b""),  # empty body: Content-Length 0
    (599, None, [("Server", "vendor-lb/1.0")], b"unknown status, recorded Server kept"),
    (200, "Ça va", [("X-Name", "Zoë"), ("Content-Encoding", "gzip")], bytes(range(256))),
    (200, "OK", [("Content-Type", "application/octet-stream")], b"\x00" * (1 << 20)),  # over write()'s 64 KiB
]
REFUSED = [
    (None, None, [], b""),  # a recorded transport error: no answer
    (204, None, [], b""),
    (304, None, [("ETag", '"x"')], b""),
    (100, None, [], b""),
    (200, "Bad\r\nreason", [], b""),
    (200, "OK", [("X-Split", "a\r\nInjected: 1")], b""),
    (200, "OK", [("X-Nul", "a\x00b")], b""),
]


async def _answers(cases, requests: list[bytes]) -> list[tuple[bytes, bytes]]:
    """Each case served once by web.Response and once by WireResponse (keep-alive
    connection, requests written one after the other): the raw answers, in pairs."""

    async def plain(request):
        status, reason, headers, body = cases[int(request.match_info["i"])]
        return web.Response(status=status, reason=reason or None, body=body, headers=headers)

    async def wired(request):
        status, reason, headers, body = cases[int(request.match_info["i"])]
        return WireResponse(wire_of(status, reason, headers, body))

    app = web.Application()
    app.router.add_route("*", "/plain/{i}", plain)
    app.router.add_route("*", "/wire/{i}", wired)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        out = []
        for i in range(len(cases)):
            pair = []
            for kind in ("plain", "wire"):
                for template in requests:
                    writer.write(template.replace(b"{path}", f"/{kind}/{i}".encode()))
                    await writer.drain()
                    pair.append(await _read_answer(reader))
            out.append(tuple(pair))
        writer.close()
        return out
    finally:
        await runner.cleanup()


async def _read_answer(reader: asyncio.StreamReader) -> bytes:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = int(re.search(rb"\r\nContent-Length: (\d+)\r\n", head).group(1))
    return head + await asyncio.wait_for(reader.readexactly(length), 10)


GET = b"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
POST = b"POST {path}?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}"


def _undated(answer: bytes) -> bytes:
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: -\r\n", answer)


def test_a_prebuilt_answer_is_the_bytes_web_response_writes():
    answers = asyncio.run(_answers(CASES, [GET, POST]))
    for (status, _, headers, body), (plain_get, plain_post, wire_get, wire_post) in zip(CASES, answers):
        assert wire_get.startswith(f"HTTP/1.1 {status} ".encode())
        assert wire_get.endswith(b"\r\n\r\n" + body)
        for plain, wire in ((plain_get, wire_get), (plain_post, wire_post)):
            if any(k.lower() == "date" for k, _ in headers):
                assert plain == wire  # the recorded Date, byte for byte
            else:
                assert _undated(plain) == _undated(wire)
                date = re.search(rb"\r\nDate: ([^\r]*)\r\n", wire).group(1).decode()
                assert abs(email.utils.parsedate_to_datetime(date).timestamp() - time.time()) < 60


def test_what_a_prebuilt_answer_cannot_carry_is_left_to_web_response():
    for status, reason, headers, body in REFUSED:
        assert wire_of(status, reason, headers, body) is None


header_names = st.text(st.sampled_from("abcXYZ-_0"), min_size=1, max_size=8).filter(lambda n: n.lower() not in (
    "content-length", "transfer-encoding", "connection"))
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF, blacklist_characters="\x7f"),
                        max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from([200, 201, 202, 400, 404, 418, 500, 503, 599]),
                          st.one_of(st.none(), st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e),
                                                       max_size=10)),
                          st.lists(st.tuples(st.one_of(header_names, st.sampled_from(
                              ["Content-Type", "Date", "Server", "content-type"])), header_values), max_size=5),
                          st.binary(max_size=300)), min_size=1, max_size=6))
def test_random_recorded_answers_go_out_as_web_response_writes_them(cases):
    answers = asyncio.run(_answers(cases, [GET]))
    for (plain, wire) in answers:
        assert _undated(plain) == _undated(wire)


def _exchange_on(port: int, requests: list[bytes]) -> tuple[list[bytes], bool]:
    """Send *requests* one after the other on one connection; each answer read by its
    Content-Length. And whether the server closed the connection after the last."""
    import socket

    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        buf = b""
        for req in requests:
            s.sendall(req)
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            head, _, rest = buf.partition(b"\r\n\r\n")
            length = int(re.search(rb"\r\nContent-Length: (\d+)", head, re.I).group(1))
            while len(rest) < length:
                rest += s.recv(65536)
            answers.append(head + b"\r\n\r\n" + rest[:length])
            buf = rest[length:]
        s.settimeout(1.0)
        try:
            closed = s.recv(1) == b""
        except TimeoutError:
            closed = False
    return answers, closed


def _parts(answer: bytes) -> tuple[bytes, list[bytes], bytes]:
    """(status line, header lines but the connection's own and the date, body)."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    return (status.replace(b"HTTP/1.0", b"HTTP/1.1"),
            sorted(h for h in lines if not h.lower().startswith((b"connection:", b"date:", b"keep-alive:"))), body)


def test_the_replay_server_answers_the_same_whichever_way_it_writes(tmp_path):
    """Prebuilt bytes for HTTP/1.1 keep-alive requests; web.Response for HTTP/1.0 and a
    request that closes the connection: the same status, headers and body."""
    from tillroll.replay.app import make_app
    from tillroll.replay.server import ReplayServer, open_replayer
    from tests.replay.cassettes import write_cassette
    from tests.samples import KEY, exchange

    answer = b'{"balance": 12.5, "items": [1, 2, 3]}'
    headers = [("Content-Type", "application/json"), ("X-Vendor-Trace", "abc-123"), ("Set-Cookie", "a=1"),
               ("Set-Cookie", "b=2")]
    cassette = write_cassette(tmp_path / "c", [
        exchange("GET", "api.example.com", "/v1/balance", status=200, response=answer, response_headers=headers)])
    key = tmp_path / "key"
    key.write_bytes(KEY)
    opened = open_replayer(cassette, key_file=key)
    get = b"GET /v1/balance HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
    with ReplayServer(make_app(opened.replayer)) as server:
        wired, wired_closed = _exchange_on(server.port, [get, get, get])  # built on the first serve, kept after
        http10, http10_closed = _exchange_on(server.port, [get.replace(b"HTTP/1.1", b"HTTP/1.0")])
        close = get.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        closing, closing_closed = _exchange_on(server.port, [close])
    assert not wired_closed and http10_closed and closing_closed  # each connection as its client asked
    recorded = opened.replayer.recordings.response_now(0)
    assert recorded.wire, "the keep-alive GETs were answered from prebuilt bytes"
    first = _parts(wired[0])
    assert first[0] == b"HTTP/1.1 200 OK" and first[2] == answer
    assert b"X-Vendor-Trace: abc-123" in first[1] and sum(h.startswith(b"Set-Cookie: ") for h in first[1]) == 2
    for other in (*wired[1:], *http10, *closing):
        assert _parts(other) == first


def test_a_prebuilt_answers_headers_are_the_ones_it_writes():
    """``response.headers`` of a prebuilt answer (built only when asked) shows the header
    lines on the wire, in order, but the Date line added at each write."""
    for status, reason, headers, body in CASES:
        wire = wire_of(status, reason, headers, body)
        written = (wire.head + (wire.tail or b"")).split(b"\r\n\r\n", 1)[0].decode("utf-8").split("\r\n")[1:]
        shown = [f"{k}: {v}" for k, v in wire.headers.items()]
        assert shown == [line for line in written if not (line.startswith("Date: ") and wire.tail is not None)]
        assert WireResponse(wire).headers is wire.headers
