"""The sandbox application: the four vendors on one port, and a small admin surface.

Vendor paths do not collide, so each is served where its docs put it: SPOT at ``/f /q /g
/r /k``, SpotOn at ``/posexport/v1/...``, XGL at ``/api/xgl``, Spoonity at ``/order...``.

Admin, under ``/__sandbox/`` (JSON in, JSON out):

- ``GET /__sandbox/clock`` -> ``{"now": "...Z", "movable": bool}``
- ``POST /__sandbox/clock`` with ``{"advance": seconds}`` or ``{"set": "<ISO 8601>"}`` moves a
  :class:`~tillroll.sandbox.clock.FakeClock`; on the real clock it answers 409.
- ``POST /__sandbox/reset`` puts every vendor back in its initial state (same seed).
- ``GET /__sandbox/credentials`` -> the sandbox credentials by name.
"""

from __future__ import annotations

import json

from aiohttp import web

from . import credentials as credentials_module
from . import spoonity
from . import spot
from . import spoton
from . import xgl
from .appkeys import CLOCK, CREDENTIALS, SEED
from .clock import Clock, FakeClock, format_instant
from .planted import PlantedChange, apply, operation_of

VENDORS = (spot, spoton, xgl, spoonity)
STATEFUL = (spot.STATE, xgl.STATE, spoonity.STATE)  # SpotOn derives everything from seed and clock


def make_app(*, clock: Clock | None = None, seed: int = 0, credentials: dict[str, str] | None = None,
             changes: tuple[PlantedChange, ...] | list[PlantedChange] = ()) -> web.Application:
    """A fresh sandbox. *clock* defaults to the real clock; *seed* decides every generated id
    and value, so two apps with the same seed and clock answer the same requests identically.

    *credentials* replaces some of the documented ones (``{"SECURITY_ID": ...}``, names in
    :data:`~tillroll.sandbox.credentials.ROTATABLE`): a sandbox whose secrets a recording
    never saw. *changes* are :class:`~tillroll.sandbox.planted.PlantedChange` s: answers
    changed on purpose, the way a vendor upgrade would."""
    app = web.Application(middlewares=[_planted(tuple(changes))] if changes else [])
    app[CLOCK] = clock if clock is not None else Clock()
    app[SEED] = seed
    app[CREDENTIALS] = credentials_module.with_overrides(credentials)
    for vendor in VENDORS:
        vendor.setup(app)
    app.router.add_get("/__sandbox/clock", get_clock)
    app.router.add_post("/__sandbox/clock", move_clock)
    app.router.add_post("/__sandbox/reset", reset)
    app.router.add_get("/__sandbox/credentials", get_credentials)
    return app


def reset_state(app: web.Application) -> None:
    """Put every vendor's state back to how :func:`make_app` created it."""
    for key in STATEFUL:
        app[key].reset()


def _clock_body(clock: Clock) -> dict:
    return {"now": format_instant(clock.now(), millis=True), "movable": clock.movable}


async def get_clock(request: web.Request) -> web.Response:
    return web.json_response(_clock_body(request.app[CLOCK]))


async def move_clock(request: web.Request) -> web.Response:
    clock = request.app[CLOCK]
    if not isinstance(clock, FakeClock):
        return web.json_response({"message": "This sandbox runs on the real clock; start it with a fake clock "
                                             "(tillroll sandbox --fake-clock) to move time."}, status=409)
    try:
        doc = json.loads(await request.read())
        if isinstance(doc, dict) and isinstance(doc.get("advance"), (int, float)) \
                and not isinstance(doc["advance"], bool):
            clock.advance(doc["advance"])
        elif isinstance(doc, dict) and isinstance(doc.get("set"), str):
            clock.set(doc["set"])
        else:
            raise ValueError
    except ValueError:
        return web.json_response({"message": "Send {\"advance\": <seconds>} or {\"set\": \"2024-05-01T12:00:00Z\"}."},
                                 status=400)
    return web.json_response(_clock_body(clock))


async def reset(request: web.Request) -> web.Response:
    reset_state(request.app)
    return web.json_response({"reset": True, **_clock_body(request.app[CLOCK])})


async def get_credentials(request: web.Request) -> web.Response:
    return web.json_response(request.app[CREDENTIALS])


def _planted(changes: tuple[PlantedChange, ...]):
    @web.middleware
    async def planted(request: web.Request, handler) -> web.StreamResponse:
        response = await handler(request)
        if not isinstance(response, web.Response) or response.content_type != "application/json":
            return response
        operation = operation_of(request.path, await request.read())
        mine = [c for c in changes if c.operation == operation]
        if not mine:
            return response
        answer = json.loads(response.body)
        for change in mine:
            answer = apply(change, answer)
        return web.json_response(answer, status=response.status)

    return planted
