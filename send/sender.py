"""Sending planned requests to a live API with aiohttp (the adapter of ``tillroll send``).

Requests leave in recorded order, each at its scheduled time (:func:`tillroll.send.plan.schedule`),
at most *concurrency* at a time; a request that carries a value an earlier answer hands
out (:mod:`tillroll.send.chaining`) waits for that answer. Each request is made concrete only
now, with the secrets and the live values, and forgotten once its answer is captured:
what the caller gets is the captured record (:func:`capture_live`, the one capture
pipeline, then a check that no secret survived it), never the raw exchange.

Transport errors (refused connection, TLS, timeout) are answers too: an exchange with
``error`` set, its text scrubbed of request data and secrets.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
from dataclasses import dataclass, field
from typing import Callable

import aiohttp
from yarl import URL

from tillroll.capture import DEFAULT_MAX_BODY, RawExchange, RawRequest, RawResponse, Redactor, capture_keyed
from tillroll.capture.content import UndecodableContent, decode_content
from tillroll.capture.scrub import scrub
from tillroll.store.exchange import Exchange

from .chaining import Binding, live_value
from .secrets import Resolution, Secrets
from .plan import Planned, digest_of, fill
from .targets import Target, target_for


@dataclass
class Outcome:
    """What came back for one planned request (captured: no secret in it)."""

    planned: Planned
    live: Exchange
    missing: list[Binding] = field(default_factory=list)  # bindings the live answer did not hold


@dataclass
class SendSettings:
    targets: dict[str | None, Target]
    times: list[float]  # when each request leaves, seconds from the start
    concurrency: int = 1
    timeout: float = 30.0
    max_body: int = DEFAULT_MAX_BODY
    ssl_context: ssl.SSLContext | None = None


async def send_all(plans: list[Planned], settings: SendSettings, secrets: Secrets, resolution: Resolution,
                   bindings: list[Binding], redactor: Redactor,
                   on_answer: Callable[[Outcome], None]) -> float:
    """Send *plans*; call *on_answer* with each answer in the order they come. Returns the
    seconds it took."""
    secret_value = resolution.lookup(secrets)
    live: dict[tuple[bool, str], str] = {}
    answered = [asyncio.Event() for _ in plans]
    needs: dict[int, set[int]] = {}
    given: dict[int, list[Binding]] = {}
    for b in bindings:
        given.setdefault(b.source, []).append(b)
        for user in b.users:
            needs.setdefault(user, set()).add(b.source)
    limit = asyncio.Semaphore(max(1, settings.concurrency))
    connector = aiohttp.TCPConnector(limit=max(1, settings.concurrency), ssl=settings.ssl_context or True)
    timeout = aiohttp.ClientTimeout(total=settings.timeout)

    def lookup(token: str, field_name: str) -> str | None:
        digest = digest_of(token)
        if digest is not None and (True, digest) in live:
            return live[(True, digest)]
        return secret_value(token, field_name)

    async def one(p: Planned) -> None:
        try:
            clear = {recorded: value for (keyed, recorded), value in live.items() if not keyed}
            raw = await _exchange(session, settings, p, lookup, clear)
            missing = []
            for b in given.get(p.index, ()):
                value = _live_binding(raw, b, settings.max_body)
                if value is None:
                    missing.append(b)
                else:
                    live[(b.keyed, b.recorded)] = value
            on_answer(Outcome(p, capture_live(raw, redactor, secrets, settings.max_body), missing))
        finally:
            answered[p.index].set()
            limit.release()

    started = time.monotonic()
    tasks = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False) as session:
        for p in plans:
            delay = started + settings.times[p.index] - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            for source in sorted(needs.get(p.index, ())):
                await answered[source].wait()
            await limit.acquire()
            tasks.append(asyncio.create_task(one(p)))
        await asyncio.gather(*tasks)
    return time.monotonic() - started


async def _exchange(session: aiohttp.ClientSession, settings: SendSettings, p: Planned, lookup,
                    clear: dict[str, str]) -> RawExchange:
    ex = p.exchange
    target = target_for(settings.targets, ex.vendor)
    concrete = fill(ex, lookup, clear)
    path = target.prefix + concrete.path
    url = URL(f"{target.base}{concrete.path}" + (f"?{concrete.query}" if concrete.query else ""), encoded=True)
    request = RawRequest(concrete.method, target.scheme, target.host, target.port, path, concrete.query,
                         headers=concrete.headers, body=concrete.body)
    started = dt.datetime.now(dt.timezone.utc)
    clock = time.monotonic()
    try:
        async with session.request(concrete.method, url, headers=concrete.headers, data=concrete.body,
                                   allow_redirects=False) as resp:
            body = await resp.content.read(settings.max_body + 1)
            truncated = len(body) > settings.max_body
            answer = RawResponse(resp.status, resp.reason, f"HTTP/{resp.version.major}.{resp.version.minor}",
                                 [(k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.raw_headers], body[:settings.max_body],
                                 truncated=truncated)
        return RawExchange(request, started, answer, duration_ms=(time.monotonic() - clock) * 1000)
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ssl.SSLError, ValueError) as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return RawExchange(request, started, None, error=reason, duration_ms=(time.monotonic() - clock) * 1000)


def _live_binding(raw: RawExchange, binding: Binding, limit: int) -> str | None:
    if raw.response is None or not raw.response.body:
        return None
    encoding = next((v for k, v in raw.response.headers if k.lower() == "content-encoding"), None)
    try:
        body, _ = decode_content(raw.response.body, encoding, limit)
    except UndecodableContent:
        return None
    return live_value(body, binding.path)


def capture_live(raw: RawExchange, redactor: Redactor, secrets: Secrets, max_body: int) -> Exchange:
    """*raw* through the capture pipeline with the cassette's key, then failed closed: a
    secret the pipeline did not know to redact (a value in a field it keeps) is replaced
    wherever it is left, by a keyed pseudonym; a binary body holding one is dropped."""
    ex = capture_keyed(raw, redactor, max_body=max_body)
    if raw.error:
        ex.error = ex.outcome_message = secrets.mask(scrub(raw.error))

    def clean(text: str | None, where: str) -> str | None:
        if not text:
            return text
        masked = secrets.mask(text, lambda value: redactor.pseudonym("secret", value))
        if masked != text:
            ex.redactions.append((where, "send.secret"))
        return masked

    for name in ("path", "query", "path_template", "operation", "request_body_text", "response_body_text",
                 "params_json", "outcome_message", "error", "match_key", "reason"):
        setattr(ex, name, clean(getattr(ex, name), name))
    ex.request_headers = [(k, clean(v, f"request.header.{k.lower()}")) for k, v in ex.request_headers]
    if ex.response_headers:
        ex.response_headers = [(k, clean(v, f"response.header.{k.lower()}")) for k, v in ex.response_headers]
    for name in ("request_body_bytes", "response_body_bytes"):
        data = getattr(ex, name)
        if data and secrets.mask(data.decode("latin-1")) != data.decode("latin-1"):
            setattr(ex, name, None)
            ex.redactions.append((name, "send.binary-with-secret"))
    return ex
