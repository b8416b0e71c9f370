"""A real sandbox server on 127.0.0.1 and a real aiohttp client, driven from plain tests.

pytest-aiohttp is not installed, so :class:`SandboxClient` owns a private event loop: each
call runs one request to completion and returns status, headers and body.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tillroll.sandbox import FakeClock, make_app

T0 = "2024-05-01T12:00:00Z"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class SandboxClient:
    def __init__(self, app) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()

        async def start() -> TestClient:
            client = TestClient(TestServer(app, host="127.0.0.1"))
            await client.start_server()
            return client

        self._client = self._loop.run_until_complete(start())

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        async def go() -> Reply:
            async with self._client.request(method, path, **kwargs) as resp:
                return Reply(resp.status, dict(resp.headers), await resp.read())

        return self._loop.run_until_complete(go())

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.close())
        self._loop.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def make_sandbox():
    """``make_sandbox(seed=0, clock=None)`` -> a client of a fresh sandbox (closed after the test)."""
    clients: list[SandboxClient] = []

    def factory(*, seed: int = 0, clock=None) -> SandboxClient:
        client = SandboxClient(make_app(clock=clock if clock is not None else FakeClock(T0), seed=seed))
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def sandbox(make_sandbox, clock) -> SandboxClient:
    return make_sandbox(clock=clock)
