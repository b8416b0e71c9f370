"""The loop the replay server and send's client run on: uvloop, or asyncio's when asked."""

import asyncio

from tillroll import event_loop


async def running_loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_runs_by_default_and_asyncio_when_asked(monkeypatch):
    monkeypatch.delenv("TILLROLL_NO_UVLOOP", raising=False)
    assert event_loop.loop_name() == "uvloop"
    assert event_loop.run(running_loop_module()).startswith("uvloop")
    monkeypatch.setenv("TILLROLL_NO_UVLOOP", "1")
    assert event_loop.loop_name() == "asyncio"
    assert event_loop.run(running_loop_module()).startswith("asyncio")
