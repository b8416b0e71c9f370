"""SPOT (XplorSPOT) over HTTP: ``/f`` ``/q`` ``/g`` ``/r`` ``/k`` on one account.

A POST carries the JSON request object ``{RequestType, AccountKey, SecurityID?, SessionID?,
UserAgent, Parameters | Params | Body}``; ``Body`` is the legacy Base64 JSON of the
parameters, and all three ways of passing them behave identically. A GET on any endpoint
is an anonymous "GET action": the query holds ``ID`` (the account's PublishableID),
``RequestType`` and the parameters. Every answer is the common response object
``{Failed, Message, MessageDetails, ReturnObject}``; ``MessageDetails`` is filled only for
server-side (500) errors, as documented.

The documented error table, checked in this order:

=====  ===========================  ==============================================
400    ``Missing ID``               a GET without ``ID``
400    ``Content-Type is invalid``  a POST whose Content-Type is not application/json or text/json
400    ``Body is missing``          a POST with an empty body
500    ``Unable to load account.``  an unknown AccountKey (or GET ``ID``), e.g. ``BROKEN_ACCOUNT_KEY``
500    ``Invalid http method.``     any method other than POST and GET
=====  ===========================  ==============================================

Sessions, operations and the other failures are in :mod:`tillroll.sandbox.spot_account`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from . import credentials
from .appkeys import CLOCK, CREDENTIALS, SEED
from .spot_account import Reply, SpotAccount, failure

STATE = web.AppKey("tillroll_sandbox_spot", SpotAccount)
JSON_TYPES = frozenset({"application/json", "text/json"})
ENVELOPE = frozenset({"RequestType", "AccountKey", "SecurityID", "SessionID", "UserAgent", "ID"})


def setup(app: web.Application) -> None:
    """Create the account under :data:`STATE` and route ``/f /q /g /r /k`` (any method)."""
    app[STATE] = SpotAccount(app[SEED], app[CLOCK], app[CREDENTIALS])
    app.router.add_route("*", "/{endpoint:[fqgrk]}", handle)
    app.router.add_route("*", "/{endpoint:[fqgrk]}/", handle)


async def handle(request: web.Request) -> web.Response:
    account = request.app[STATE]
    if request.method == "GET":
        reply = answer_get(account, request.query)
    elif request.method == "POST":
        content_type = request.content_type if "Content-Type" in request.headers else None
        reply = answer_post(account, request.match_info["endpoint"], content_type, await request.read())
    else:
        reply = failure(500, "Invalid http method.", f"{request.method} is not supported: use POST (or GET).")
    return web.json_response(reply.body(), status=reply.status)


def answer_post(account: SpotAccount, endpoint: str, content_type: str | None, raw: bytes) -> Reply:
    """The reply to a POST of *raw* bytes to */endpoint*."""
    if content_type not in JSON_TYPES:
        return failure(400, "Content-Type is invalid")
    if not raw.strip():
        return failure(400, "Body is missing")
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return failure(400, "The request body is not valid JSON.")
    if not isinstance(doc, dict):
        return failure(400, "The request body must be a JSON object such as {\"RequestType\": \"GetToken\", ...}.")
    if doc.get("AccountKey") != credentials.ACCOUNT_KEY:
        return unknown_account(doc.get("AccountKey"))
    request_type = doc.get("RequestType")
    if not isinstance(request_type, str) or not request_type:
        return failure(400, "RequestType is required (for example GetToken).")
    if not doc.get("UserAgent"):
        return failure(400, "UserAgent is required (a browser user agent, or e.g. \"IOS 8 (App v1.3)\").")
    params, problem = decode_parameters(doc)
    if problem:
        return failure(400, problem)
    return account.call(endpoint, request_type, session_id=_text(doc.get("SessionID")),
                        security_id=_text(doc.get("SecurityID")), params=params)


def answer_get(account: SpotAccount, query: Mapping[str, str]) -> Reply:
    """The reply to a GET action with *query*."""
    if not query.get("ID"):
        return failure(400, "Missing ID")
    if query["ID"].upper() != credentials.PUBLISHABLE_ID:
        return unknown_account(query["ID"], what="ID")
    if "AccountKey" in query and query["AccountKey"] != credentials.ACCOUNT_KEY:
        return unknown_account(query["AccountKey"])
    request_type = query.get("RequestType")
    if not request_type:
        return failure(400, "RequestType is required (for example GetStoreList).")
    return account.call_anonymous(request_type, {k: v for k, v in query.items() if k not in ENVELOPE})


def decode_parameters(doc: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The request's parameters from ``Parameters``, ``Params`` or Base64 ``Body`` (first present).

    Returns ``(params, None)``, or ``({}, problem)`` with a sentence for a 400.
    """
    for member in ("Parameters", "Params"):
        if doc.get(member) is not None:
            if not isinstance(doc[member], dict):
                return {}, f"{member} must be a JSON object of the request's parameters."
            return doc[member], None
    body = doc.get("Body")
    if body is None or body == "":
        return {}, None
    try:
        decoded = json.loads(base64.b64decode("".join(str(body).split()), validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = None
    if not isinstance(decoded, dict):
        return {}, "Body must be the Base64 encoding of a JSON object of parameters (or use Parameters)."
    return decoded, None


def unknown_account(value: Any, *, what: str = "AccountKey") -> Reply:
    details = f"No account has the {what} {value!r}." if value else f"{what} is missing."
    return failure(500, "Unable to load account.", details)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
