"""SpotOn POS export over HTTP: cash deposits and paid in/outs under ``/posexport/v1``.

Routes (GET only), for any ``locationId``:

- ``/posexport/v1/locations/{locationId}/cash-deposits?updatedAtStart=..&updatedAtEnd=..``
- ``/posexport/v1/locations/{locationId}/cash-deposits/{cashDepositId}``
- ``/posexport/v1/locations/{locationId}/paid-in-outs?createdAtStart=..&createdAtEnd=..``
- ``/posexport/v1/locations/{locationId}/paid-in-outs/{paidInOutId}``

Every request needs the header ``x-api-key: <SPOTON_API_KEY>``: without it the answer is
401, with another key 403. Errors are JSON ``{"message": "..."}``: 400 for a window that
breaks a documented rule (see :mod:`tillroll.sandbox.spoton_data`), 404 for an unknown
record or path. Lists are JSON arrays, single records JSON objects, as documented.
"""

from __future__ import annotations

from aiohttp import web

from .appkeys import CLOCK, CREDENTIALS, SEED
from .spoton_data import NAMES, WindowError, find_record, list_records, parse_window

PREFIX = "/posexport/v1/locations/{locationId}/{resource:cash-deposits|paid-in-outs}"


def setup(app: web.Application) -> None:
    """Route the four documented GETs and a JSON 404 for the rest of ``/posexport``.

    SpotOn keeps no state: the data is derived from the seed and the clock.
    """
    app.router.add_get(PREFIX, list_handler, allow_head=False)
    app.router.add_get(PREFIX + "/{recordId}", get_handler, allow_head=False)
    app.router.add_route("*", "/posexport{tail:.*}", not_found)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def _refusal(request: web.Request) -> web.Response | None:
    key = request.headers.get("x-api-key")
    if not key:
        return _error(401, "Unauthorized: send your API key in the x-api-key header.")
    if key != request.app[CREDENTIALS]["SPOTON_API_KEY"]:
        return _error(403, "Forbidden: the x-api-key is not valid for this location.")
    return None


async def list_handler(request: web.Request) -> web.Response:
    if refusal := _refusal(request):
        return refusal
    resource, location = request.match_info["resource"], request.match_info["locationId"]
    now = request.app[CLOCK].now()
    try:
        start, end = parse_window(resource, request.query, now)
    except WindowError as exc:
        return _error(400, str(exc))
    return web.json_response(list_records(request.app[SEED], location, resource, start, end, now))


async def get_handler(request: web.Request) -> web.Response:
    if refusal := _refusal(request):
        return refusal
    resource, location = request.match_info["resource"], request.match_info["locationId"]
    record_id = request.match_info["recordId"]
    record = find_record(request.app[SEED], location, resource, record_id, request.app[CLOCK].now())
    if record is None:
        return _error(404, f"No {NAMES[resource]} {record_id!r} at location {location!r}.")
    return web.json_response(record)


async def not_found(request: web.Request) -> web.Response:
    if refusal := _refusal(request):
        return refusal
    return _error(404, f"Not found: {request.method} {request.path} (the sandbox serves "
                       "GET /posexport/v1/locations/{locationId}/cash-deposits and /paid-in-outs).")
