"""The replay server: an aiohttp application over a :class:`~replay.replayer.Replayer`.

    app = make_app(replayer, on_miss="error")

Every request but the admin API (``/__tillroll/…``) is answered from the cassette:
recorded status, reason, headers and body (re-encoded as recorded, Content-Length
fixed). Requests in absolute form (a client configured with an HTTP proxy) are served
the same way. On a miss: ``error`` answers ``miss_status`` with the near-miss report and
never opens a connection; ``forward`` passes the request to ``upstream``; ``record``
does that and appends the new exchange (redacted) to the cassette.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import urllib.parse
import logging
import socket
import struct
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import CIMultiDict

from tillroll.capture import capture
from tillroll.capture import key_text, match_document
from tillroll.capture import RawExchange, RawRequest, RawResponse
from tillroll.store import open_writer

from .bad_requests import BadRequestLog
from .faults import SERVER_ERROR, SPOT_FAILED
from .recordings import Extra, summary_line
from .responses import HOP_BY_HOP, Recorded, from_exchange
from .replayer import CACHE_MAX_BODY, Decision, Replayer
from .wire import WireResponse, fits, wire_of

log = logging.getLogger("tillroll.replay")
ON_MISS = ("error", "forward", "record")
ADMIN = "/__tillroll/"
MAX_REQUEST_BODY = 64 * 1024 * 1024
# How the app is served (web.run_app, AppRunner): no access log (it would print raw URLs),
# request bodies as they came (capture inflates them, within its limit, and says when a
# body lies about its coding; aiohttp would inflate them in full, or fail with a traceback).
SERVER_OPTIONS = {"access_log": None, "auto_decompress": False}
REPLAYER = web.AppKey("replayer", Replayer)
SETTINGS = web.AppKey("settings", object)
CLIENT = web.AppKey("client", aiohttp.ClientSession)
WRITER = web.AppKey("writer", object)


@dataclass(frozen=True)
class Settings:
    on_miss: str = "error"
    miss_status: int = 599
    upstream: str | None = None
    latency: float = 0.0  # factor of the recorded duration; 0 = answer at once
    fault_delay: float = 5.0  # seconds added by a "slow" fault


def make_app(replayer: Replayer, settings: Settings = Settings()) -> web.Application:
    if settings.on_miss not in ON_MISS:
        raise ValueError(f"unknown on-miss mode {settings.on_miss!r}; use one of {', '.join(ON_MISS)}")
    if settings.on_miss != "error" and not settings.upstream:
        raise ValueError(f"--on-miss {settings.on_miss} needs --upstream URL")
    BadRequestLog.install()
    app = web.Application(client_max_size=MAX_REQUEST_BODY)
    app[REPLAYER] = replayer
    app[SETTINGS] = settings
    app.router.add_get(ADMIN + "journal", _journal)
    app.router.add_get(ADMIN + "unmatched", _unmatched)
    app.router.add_get(ADMIN + "unused", _unused)
    app.router.add_get(ADMIN + "health", _health)
    app.router.add_post(ADMIN + "reset", _reset)
    app.router.add_route("*", "/{tail:.*}", _replay)
    if settings.on_miss != "error":
        app.cleanup_ctx.append(_upstream_client)
    return app


async def _upstream_client(app: web.Application):
    writer = None
    if app[SETTINGS].on_miss == "record":  # new exchanges go into the cassette being replayed
        writer = open_writer(app[REPLAYER].recordings.path)
    app[WRITER] = writer
    app[CLIENT] = aiohttp.ClientSession(auto_decompress=False, timeout=aiohttp.ClientTimeout(total=60))
    yield
    await app[CLIENT].close()
    if writer is not None:
        await asyncio.get_running_loop().run_in_executor(None, writer.close)


# -- replay ------------------------------------------------------------------------------------

async def _replay(request: web.Request) -> web.StreamResponse:
    app = request.app
    replayer, settings = app[REPLAYER], app[SETTINGS]
    method = request.method
    try:
        body = await request.read() if request.body_exists else b""
    except web.HTTPRequestEntityTooLarge:
        return _refused(413, f"tillroll: the request body is over the replay server's limit "
                             f"({MAX_REQUEST_BODY // (1024 * 1024)} MiB)")
    except (HttpProcessingError, ConnectionError, asyncio.IncompleteReadError) as exc:
        # the client went away mid-body or sent a broken one: nothing to replay (and
        # usually no one left to tell)
        return _refused(400, f"tillroll: the request body could not be read ({type(exc).__name__})")
    # a request seen before is decided from the cache, without building its raw exchange
    ck = _cache_key(request, body)
    decision = replayer.decide_known(ck)
    raw = None
    if decision is None:
        raw = _raw(request, body)
        decision = replayer.decide(raw, ck)
    if decision.kind == "undecodable":
        replayer.note(method, decision, 400, "refused")
        log.warning("tillroll replay: refused %s %s: %s", method, decision.doc.get("path"), decision.problem)
        return _refused(400, f"tillroll: {decision.problem}", _request_summary(decision))
    if decision.kind != "match":
        if settings.on_miss == "error":
            response = _miss_response(replayer, decision, settings)
            replayer.note(method, decision, response.status, "error")
            log.warning("tillroll replay: no recording for %s %s (%s)", method,
                        decision.doc.get("path"), decision.doc.get("operation"))
            return response
        response = await _forward(request, raw or _raw(request, body), decision)
        replayer.note(method, decision, response.status, settings.on_miss)
        return response
    recorded = replayer.recordings.response_cached(decision.row) or await replayer.recordings.response(decision.row)
    delay = recorded.duration_s * settings.latency
    if decision.fault == "slow":
        delay += settings.fault_delay
    if delay > 0:
        await asyncio.sleep(delay)
    if decision.fault == "reset" or recorded.status is None:
        replayer.note(method, decision, None, "reset" if decision.fault else "recorded transport error",
                      recorded.exchange_id)
        _reset_connection(request)
        return web.Response(status=500)  # never written: the connection is gone
    if decision.fault == "5xx":
        replayer.note(method, decision, 503, "fault", recorded.exchange_id)
        return web.Response(status=503, body=SERVER_ERROR, content_type="application/json",
                            headers={"X-Tillroll-Fault": "5xx"})
    if decision.fault == "spot-failed":
        replayer.note(method, decision, 200, "fault", recorded.exchange_id)
        return web.Response(status=200, body=SPOT_FAILED, content_type="application/json",
                            headers={"X-Tillroll-Fault": "spot-failed"})
    replayer.note(method, decision, recorded.status, "replayed", recorded.exchange_id)
    return _recorded_response(recorded, request)


def _recorded_response(recorded: Recorded, request: web.Request) -> web.StreamResponse:
    if fits(request):  # the common case: the bytes built when it was first served
        wire = recorded.wire
        if wire is None:
            wire = recorded.wire = wire_of(recorded.status, recorded.reason, recorded.headers, recorded.body) or False
        if wire:
            return WireResponse(wire)
    # the header pairs as they are: the response makes its one CIMultiDict of them
    return web.Response(status=recorded.status, reason=recorded.reason or None, body=recorded.body,
                        headers=recorded.headers)


def _secure(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and transport.get_extra_info("sslcontext") is not None


def _cache_key(request: web.Request, body: bytes) -> tuple | None:
    """What identifies *request* for the replayer's cache, read straight from aiohttp: what
    its raw exchange would be made of (the Host header, the raw target, the body, the
    headers that change how it is understood: see ``replayer._ctype``)."""
    if len(body) > CACHE_MAX_BODY:
        return None
    headers = request.headers
    return ("aiohttp", request.method, _secure(request), request.host, request.raw_path, body,
            headers.get("Content-Type"), headers.get("Content-Encoding"), tuple(headers))


def _raw(request: web.Request, body: bytes) -> RawExchange:
    path, _, query = request.raw_path.partition("?")
    if "://" in path:  # absolute form: the client thinks we are its proxy
        url = request.url
        scheme, host, port = url.scheme or "http", url.host or "", url.port or 80
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    else:  # origin form (the common case): the Host header, without building a URL
        scheme = "https" if _secure(request) else "http"
        host, port = _host_port(request.host or "", 443 if scheme == "https" else 80)
    version = request.version
    req = RawRequest(method=request.method, scheme=scheme, host=host, port=port, path=path, query=query,
                     http_version=f"HTTP/{version.major}.{version.minor}", headers=list(request.headers.items()),
                     body=body or None)
    return RawExchange(req, dt.datetime.now(dt.timezone.utc))


def _host_port(value: str, default: int) -> tuple[str, int]:
    """``api.example.com:8080`` -> ``("api.example.com", 8080)``; ``[::1]:81`` -> ``("::1", 81)``."""
    head, sep, tail = value.rpartition(":")
    if sep and tail.isdigit() and (not head.startswith("[") or head.endswith("]")):
        return head.strip("[]"), int(tail)
    return value.strip("[]"), default


def _miss_response(replayer: Replayer, decision: Decision, settings: Settings) -> web.Response:
    if decision.kind == "exhausted":
        body = {"error": f"tillroll: {decision.recorded} recording(s) of this request were all served "
                         "(sequence policy: error)",
                "request": _request_summary(decision), "hint": "POST /__tillroll/reset rewinds every sequence"}
    else:
        body = {"error": "tillroll: no recording matches this request",
                "request": _request_summary(decision),
                "matchers": list(replayer.matching.names),
                "nearest": replayer.near_miss_report(decision),
                "hint": "the nearest recordings are listed with the matchers that failed and the fields that "
                        "differ; choose matchers with --match, or record the request with --on-miss record"}
    # a request's JSON may spell a lone surrogate (\ud800), which no UTF-8 encoder takes: "?" in the report
    text = json.dumps(body, indent=2, ensure_ascii=False).encode("utf-8", "replace")
    return web.Response(status=settings.miss_status, body=text, content_type="application/json", charset="utf-8",
                        headers={"X-Tillroll-Miss": decision.kind})


def _refused(status: int, reason: str, request: dict | None = None) -> web.Response:
    body = {"error": reason, **({"request": request} if request else {})}
    return web.Response(status=status, body=json.dumps(body, indent=2, ensure_ascii=False),
                        content_type="application/json", headers={"X-Tillroll-Refused": str(status)})


def _request_summary(decision: Decision) -> dict:
    doc = decision.doc
    return {"method": doc.get("method"), "path": doc.get("path"), "operation": doc.get("operation"),
            "vendor": decision.vendor, "params": doc.get("params"), "query": doc.get("query")}


def _reset_connection(request: web.Request) -> None:
    """Close the connection with a TCP reset, as a failing vendor load balancer does."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


# -- forward and record -------------------------------------------------------------------------

async def _forward(request: web.Request, raw: RawExchange, decision: Decision) -> web.Response:
    settings = request.app[SETTINGS]
    req = raw.request
    url = settings.upstream.rstrip("/") + req.path + (f"?{req.query}" if req.query else "")
    headers = [(k, v) for k, v in req.headers if k.lower() not in HOP_BY_HOP and k.lower() != "host"]
    started = dt.datetime.now(dt.timezone.utc)
    try:
        async with request.app[CLIENT].request(req.method, url, headers=headers, data=req.body) as up:
            body = await up.read()
            status, reason, up_headers = up.status, up.reason, list(up.headers.items())
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        return web.Response(status=502, content_type="application/json",
                            body=json.dumps({"error": f"tillroll: upstream {_described(settings.upstream)} failed: "
                                                      f"{type(exc).__name__}"}))
    if settings.on_miss == "record":
        _record(request, raw, decision, started, status, reason, up_headers, body)
    return web.Response(status=status, reason=reason, body=body,
                        headers=CIMultiDict((k, v) for k, v in up_headers if k.lower() not in HOP_BY_HOP))


def _described(url: str) -> str:
    """*url* as it may be shown: without credentials or a query (either may hold a secret)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _record(request: web.Request, raw: RawExchange, decision: Decision, started: dt.datetime, status: int,
            reason: str | None, headers: list[tuple[str, str]], body: bytes) -> None:
    replayer = request.app[REPLAYER]
    raw.response = RawResponse(status, reason, headers=headers, body=body)
    raw.started_at = started
    raw.duration_ms = (dt.datetime.now(dt.timezone.utc) - started).total_seconds() * 1000
    ex = capture(raw, replayer.redactor)
    doc = match_document(ex, replayer.redactor)
    ex.match_key = key_text(doc)
    request.app[WRITER].append(ex)
    # From now on it is served as it would be replayed from the cassette: redacted.
    row = replayer.recordings.add(decision.key, Extra(from_exchange(ex), doc,
                                                      summary_line(ex.method, ex.path, ex.operation)))
    replayer.playback.served[row] += 1


# -- the admin API ------------------------------------------------------------------------------

async def _journal(request: web.Request) -> web.Response:
    return web.json_response(request.app[REPLAYER].journal_entries())


async def _unmatched(request: web.Request) -> web.Response:
    return web.json_response([e for e in request.app[REPLAYER].journal_entries() if not e["matched"]])


async def _unused(request: web.Request) -> web.Response:
    return web.json_response(request.app[REPLAYER].unused())


async def _health(request: web.Request) -> web.Response:
    replayer = request.app[REPLAYER]
    recordings = replayer.recordings
    return web.json_response({"recordings": len(recordings), "cassette": str(recordings.path),
                              "matchers": list(replayer.matching.names), "pii_matched": replayer.matching.pii,
                              "memory": recordings.memory_use()})


async def _reset(request: web.Request) -> web.Response:
    request.app[REPLAYER].reset()
    return web.json_response({"reset": True})
