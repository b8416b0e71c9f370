"""Spoonity order API over HTTP.

=========================================  ==================================================
``POST /order`` (or ``GET``, as curl -G)   process an order, or a gift card (quick pay) when
                                           the JSON has ``amount`` and no ``subtotal`` /
                                           ``line_items``
``DELETE /order``                          void ``{"receipt": <reference_number>}``
``POST /order/payments/loyalty`` (or GET)  pay with loyalty points
=========================================  ==================================================

Every call needs the query parameter ``api_key`` (the store's key): without it, or with an
unknown one, the answer is 401. The JSON is the request body, or, the way the documented
``curl -G -d '{json}'`` sends it, a query-string key that is a JSON object. A missing or
unusable JSON, or a missing required attribute, answers 400. Errors use Spoonity's
``{"success": false, "error": {"errors": [...], "code": ..., "reference_id": null}}``.
Business failures are HTTP 200; see :mod:`tillroll.sandbox.spoonity_store`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, unquote_plus

from aiohttp import web

from .appkeys import CLOCK, CREDENTIALS, SEED
from .spoonity_store import Program, SpoonityError, failed

STATE = web.AppKey("tillroll_sandbox_spoonity", Program)


def setup(app: web.Application) -> None:
    """Create the program under :data:`STATE` and route ``/order`` and ``/order/payments/loyalty``."""
    app[STATE] = Program(app[SEED], app[CLOCK], app[CREDENTIALS]["SPOONITY_API_KEY"])
    for method in ("GET", "POST"):
        app.router.add_route(method, "/order", order_handler)
        app.router.add_route(method, "/order/payments/loyalty", loyalty_handler)
    app.router.add_route("DELETE", "/order", void_handler)


def is_gift_card(body: dict[str, Any]) -> bool:
    """A gift card request has ``amount`` and neither ``subtotal`` nor ``line_items``."""
    return "amount" in body and "subtotal" not in body and "line_items" not in body


async def order_handler(request: web.Request) -> web.Response:
    return await _answer(request, lambda p, key, body: (p.gift_card if is_gift_card(body) else p.process_order)(
        key, body))


async def loyalty_handler(request: web.Request) -> web.Response:
    return await _answer(request, lambda p, key, body: p.loyalty_payment(key, body))


async def void_handler(request: web.Request) -> web.Response:
    return await _answer(request, lambda p, key, body: p.void(key, body))


async def _answer(request: web.Request, operation) -> web.Response:
    program = request.app[STATE]
    key = request.query.get("api_key")
    if not program.knows(key):
        reason = "api_key is required" if not key else "api_key is not valid"
        return web.json_response(failed(401, f"{reason}: pass the store's key as ?api_key=..."), status=401)
    body = request_json(await request.read(), request.rel_url.raw_query_string)
    if body is None:
        return web.json_response(failed(400, "The request JSON is missing: send it as the body "
                                             "(or in the query string, as curl -G -d does)."), status=400)
    try:
        return web.json_response(operation(program, key, body))
    except SpoonityError as exc:
        return web.json_response(failed(400, str(exc)), status=400)


def request_json(raw_body: bytes, raw_query: str) -> dict[str, Any] | None:
    """The request's JSON object: the body if there is one, else a JSON object in the query.

    ``curl -G -d '{...}'`` appends the JSON to the query string as a key without a value,
    percent-encoded or not; it may contain ``&`` or ``=``, so it is read with a JSON
    decoder from its opening brace rather than split like a form.
    """
    if raw_body.strip():
        try:
            doc = json.loads(raw_body)
        except (ValueError, UnicodeDecodeError):
            return None
        return doc if isinstance(doc, dict) else None
    decoder = json.JSONDecoder()
    for unescape in (unquote, unquote_plus):
        text = unescape(raw_query)
        for i, char in enumerate(text):
            if char == "{" and (i == 0 or text[i - 1] == "&"):
                try:
                    doc, _ = decoder.raw_decode(text, i)
                except ValueError:
                    continue
                if isinstance(doc, dict):
                    return doc
    return None
