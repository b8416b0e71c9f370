"""Which asyncio event loop the replay server and `send`'s client run on: uvloop (libuv),
as aiohttp's deployment advice has it, and asyncio's own where uvloop cannot be imported
or ``TILLROLL_NO_UVLOOP=1`` asks for it (the bare-aiohttp comparisons in ``benchmarks/``
run each server on the same loop). Chosen once per call; the name goes in the start-up line.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")


def _uvloop():
    if os.environ.get("TILLROLL_NO_UVLOOP", "") not in ("", "0"):
        return None
    try:
        import uvloop
    except ImportError:  # not installed for this platform: asyncio's loop serves
        return None
    return uvloop


def loop_name() -> str:
    """``uvloop`` or ``asyncio``: the loop :func:`new_event_loop` makes."""
    return "uvloop" if _uvloop() else "asyncio"


def new_event_loop() -> asyncio.AbstractEventLoop:
    module = _uvloop()
    return module.new_event_loop() if module else asyncio.new_event_loop()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the chosen loop."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(coroutine)
