"""Setting a replay up (key, matching, cassette) and running it on a thread of its own.

:func:`open_replayer` is what ``tillroll replay`` and the pytest plugin share;
:class:`ReplayServer` runs the app on a loopback port in a background thread, for tests
and the plugin (``with ReplayServer(app) as server: server.base_url``).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from tillroll import event_loop
from tillroll.capture import RedactionKeyError, key_id, load_key
from tillroll.capture import Policy, DEFAULT_POLICY
from tillroll.capture import Redactor

from .app import SERVER_OPTIONS
from .faults import Injector
from .matching import DEFAULT, Matching
from .memory import DEFAULT_MEMORY
from .recordings import describe_key_ids, load
from .replayer import Replayer


@dataclass
class Opened:
    replayer: Replayer
    warnings: list[str] = field(default_factory=list)


def open_replayer(cassette: str | Path, *, key_file: str | Path | None = None, matchers: tuple[str, ...] = DEFAULT,
                  match_host: bool = False, sequence: str = "repeat", injector: Injector | None = None,
                  policy: Policy = DEFAULT_POLICY, memory: int = DEFAULT_MEMORY) -> Opened:
    """Load *cassette* for replay, its responses kept within about *memory* bytes once read
    (:mod:`replay.memory`). Raises ``CassetteError``, ``RedactionKeyError``,
    ``MatcherError`` or ``ValueError`` with a message for the user."""
    names = tuple(dict.fromkeys([*matchers, *(("host",) if match_host else ())]))
    warnings = []
    try:
        key = load_key(key_file, create=False)
    except RedactionKeyError:
        if key_file is not None:
            raise
        key = os.urandom(32)  # live requests are still redacted; PII cannot be compared
        warnings.append("no redaction key ($TILLROLL_KEY, --key-file or ~/.config/tillroll/key): "
                        "PII fields are left out of matching")
    redactor = Redactor(key, policy)
    recordings = load(cassette, Matching(names, pii=True), redactor, memory)
    if recordings.key_ids and key_id(key) not in recordings.key_ids and not warnings:
        warnings.append(f"the redaction key ({key_id(key)}) is not the one this cassette was recorded with "
                        f"({describe_key_ids(recordings.key_ids)}): PII fields are left out of matching")
    if warnings:
        recordings.reindex(Matching(names, pii=False))
    warnings += recordings.notices
    replayer = Replayer(recordings, redactor, sequence=sequence, injector=injector)
    recordings.sequences = replayer.playback  # what is read ahead follows the sequences being walked
    return Opened(replayer, warnings)


def ssl_context(certfile: str | Path | None, keyfile: str | Path | None) -> ssl.SSLContext | None:
    if certfile is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    return context


class ReplayServer:
    """Run *app* on ``host:port`` (0: a free port) in a background thread."""

    def __init__(self, app: web.Application, host: str = "127.0.0.1", port: int = 0,
                 ssl_context: ssl.SSLContext | None = None):
        self.app, self.host, self.port, self.ssl_context = app, host, port, ssl_context
        self._loop = event_loop.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tillroll-replay", daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def __enter__(self) -> "ReplayServer":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, handle_signals=False, **SERVER_OPTIONS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self.ssl_context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
