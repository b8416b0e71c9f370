"""What broken and hostile clients send, as raw bytes on a socket.

Shared by the replay server's and the recording proxy's hostile-client tests: each case is
one connection's worth of bytes. ``recordable`` cases are complete HTTP requests a proxy
forwards (and so records); the rest are broken at the HTTP level.
"""

from __future__ import annotations

import gzip
import random
import socket
import zlib
from dataclasses import dataclass

import brotli
import zstandard

DEEP = b"[" * 10_000 + b"]" * 10_000


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    recordable: bool  # a complete request: a proxy forwards it, a recorder records it


def request(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
            host: str = "pos.example") -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method in ("POST", "PUT"):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def json_post(path: str, body: bytes, **headers: str) -> bytes:
    return request("POST", path, body, {"Content-Type": "application/json", **headers})


def cases() -> list[Case]:
    surrogate = b'{"RequestType":"GetToken","AccountKey":"A","Parameters":{"x":"\\ud800"}}'
    return [
        # complete requests whose bodies are hostile: recorded, replayed (or a clear 400)
        Case("deep-json", json_post("/deep", DEEP), True),
        Case("lone-surrogate-json", json_post("/surrogate", surrogate), True),
        Case("nan-and-huge-numbers", json_post("/numbers", b'{"a": NaN, "b": 1e999999, "c": -Infinity}'), True),
        Case("duplicate-keys", json_post("/dup", b'{"password": "hunter2-canary", "password": "x"}'), True),
        Case("invalid-utf8-json", json_post("/utf8", b'{"note": "\xff\xfe\xc3"}'), True),
        Case("gzip-that-is-not", json_post("/gzip-lie", b'{"a": 1}', **{"Content-Encoding": "gzip"}), True),
        Case("unknown-coding", json_post("/coding", b'{"a": 1}', **{"Content-Encoding": "x-nonsense"}), True),
        Case("truncated-gzip", json_post("/gzip-cut", gzip.compress(b'{"a": 1}' * 100)[:20],
                                         **{"Content-Encoding": "gzip"}), True),
        Case("surrogate-in-query", request("GET", "/q?x=%ED%A0%80&y=%FF"), True),
        Case("latin1-header", request("GET", "/h", headers={"X-Name": "caf\xe9 \xff"}), True),
        # broken at the HTTP level: answered 400 or closed, never recorded
        Case("garbage", b"\x00\xff\x13\x10GARBAGE\r\n\r\n", False),
        Case("not-http", b"SSH-2.0-OpenSSH_9.6\r\n", False),
        Case("header-over-8k", request("GET", "/long", headers={"X-Long": "a" * 9000}), False),
        Case("request-line-over-8k", request("GET", "/" + "p" * 9000), False),
        Case("negative-length", b"POST /n HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\nhello", False),
        Case("two-lengths", b"POST /n HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nhello",
             False),
        Case("lying-length", b"POST /l HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\nonly this", False),
        Case("broken-chunked", b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
             False),
        Case("chunked-cut", b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", False),
        Case("bad-method", b"G\x00T / HTTP/1.1\r\nHost: h\r\n\r\n", False),
        Case("bad-version", b"GET / HTTP/9.9\r\nHost: h\r\n\r\n", False),
        Case("header-without-colon", b"GET / HTTP/1.1\r\nHost: h\r\nnonsense\r\n\r\n", False),
        Case("empty", b"", False),
    ]


def random_cases(n: int, seed: int = 13) -> list[Case]:
    """*n* connections of random bytes: half pure noise, half a valid request with bytes flipped,
    inserted or cut (what gets past the first line is the interesting part)."""
    rng = random.Random(seed)
    base = [c.data for c in cases() if c.recordable] + [request("GET", "/ok")]
    out = []
    for i in range(n):
        if i % 2:
            data = rng.randbytes(rng.randint(1, 600))
        else:
            data = bytearray(rng.choice(base))
            for _ in range(rng.randint(1, 8)):
                at = rng.randrange(len(data))
                kind = rng.random()
                if kind < 0.5:
                    data[at] = rng.randrange(256)
                elif kind < 0.8:
                    data[at:at] = rng.randbytes(rng.randint(1, 20))
                else:
                    del data[at:]
                    if not data:
                        data = bytearray(b"G")
            data = bytes(data)
        out.append(Case(f"random-{i}", data, False))
    return out


def send(port: int, data: bytes, timeout: float = 5.0, wait: float = 0.5) -> bytes:
    """Send *data* on a new connection and read until the server closes; if nothing came
    back after *wait* seconds, say that was all (half-close: a request cut short) and read
    on. Whatever the server does (answer, reset, close), return what came back.

    (aiohttp closes a connection at once when the client half-closes it, answer unsent,
    so the half-close waits: ``wait=0`` when only the server's survival matters.)"""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
            if wait:
                s.settimeout(wait)
                try:
                    got = s.recv(65536)
                except TimeoutError:
                    pass
                s.settimeout(timeout)
            if not got:
                s.shutdown(socket.SHUT_WR)
            while chunk := s.recv(65536):
                got += chunk
        except (ConnectionError, TimeoutError, OSError):
            pass
    return got


def status_of(answer: bytes) -> int | None:
    line = answer.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) >= 2 and line[0].startswith(b"HTTP/") and line[1].isdigit() else None


# -- decompression bombs: ~1 MB (or far less) that inflates to 1 GiB ---------------------------

BOMB_SIZE = 1 << 30


def _zeros(compress, flush) -> bytes:
    chunk = bytes(1 << 20)
    return b"".join(compress(chunk) for _ in range(BOMB_SIZE // len(chunk))) + flush()


def bombs() -> dict[str, bytes]:
    """``{content-coding: body}``; each inflates to 1 GiB of zeros."""
    out = {}
    for name, wbits in (("gzip", 31), ("deflate", 15)):
        c = zlib.compressobj(9, zlib.DEFLATED, wbits, 9, zlib.Z_RLE)
        out[name] = _zeros(c.compress, c.flush)
    c = brotli.Compressor(quality=1)
    out["br"] = _zeros(c.process, c.finish)
    z = zstandard.ZstdCompressor(level=1).compressobj()
    out["zstd"] = _zeros(z.compress, z.flush)
    return out
