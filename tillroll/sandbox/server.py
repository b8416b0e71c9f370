"""Run the sandbox in a background thread, for the demo, tests and notebooks.

``with start_sandbox() as url:`` starts a fresh app on its own event loop in a daemon
thread, waits (bounded) until it listens, yields its base URL (``http://127.0.0.1:<port>``,
port 0 picks a free one) and on exit stops it and waits for the thread. Only the CLI runs
the sandbox in the foreground (``web.run_app``).
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from .app import make_app
from .clock import Clock
from .planted import PlantedChange


def base_url(host: str, port: int, *, https: bool) -> str:
    """The URL clients use; a wildcard bind address is reached through loopback."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"{'https' if https else 'http'}://{f'[{host}]' if ':' in host else host}:{port}"


@contextmanager
def start_sandbox(host: str = "127.0.0.1", port: int = 0, *, clock: Clock | None = None, seed: int = 0,
                  ssl_context: ssl.SSLContext | None = None, app: web.Application | None = None,
                  startup_timeout: float = 10.0, shutdown_timeout: float = 10.0,
                  server_options: dict[str, Any] | None = None, credentials: dict[str, str] | None = None,
                  changes: tuple[PlantedChange, ...] | list[PlantedChange] = ()) -> Iterator[str]:
    """Serve a sandbox (or *app*, if given) on *host*:*port* while the block runs; yield its URL.
    *credentials* and *changes* go to :func:`~tillroll.sandbox.app.make_app`: a sandbox with
    secrets of its own, or with answers changed on purpose.
    *server_options* go to aiohttp's ``AppRunner`` (``auto_decompress=False``: request
    bodies as they came).

    Raises RuntimeError if the server is not listening within *startup_timeout* seconds
    (an ``OSError`` such as "address already in use" is re-raised as is).
    """
    app = app if app is not None else make_app(clock=clock, seed=seed, credentials=credentials, changes=changes)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    outcome: dict[str, Any] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(app, **{"access_log": None, **(server_options or {})})
        try:
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
            loop.run_until_complete(site.start())
            outcome["port"] = runner.addresses[0][1]
        except BaseException as exc:  # reported to the caller, which raises it
            outcome["error"] = exc
        ready.set()
        try:
            if "error" not in outcome:
                loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    thread = threading.Thread(target=serve, name="tillroll-sandbox", daemon=True)
    thread.start()
    if not ready.wait(startup_timeout):
        loop.call_soon_threadsafe(loop.stop)
        thread.join(shutdown_timeout)
        raise RuntimeError(f"the sandbox did not start listening on {host}:{port} within {startup_timeout:g} s")
    if "error" in outcome:
        thread.join(shutdown_timeout)
        raise outcome["error"]
    try:
        yield base_url(host, outcome["port"], https=ssl_context is not None)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(shutdown_timeout)
