"""Xenial loyalty gateway (XGL) over HTTP: ``POST /api/xgl``.

The body is either the ``outHTTP`` envelope of the Xenial samples,
``{"outHTTP": {"body": {"action_type": ...}, "headers": {...}, "method": "POST", ...}}``, or
the bare action body. The tenant headers ``x-company-id`` and ``x-site-ids`` (comma-separated)
are read from the HTTP request, or else from the envelope's ``headers``; missing ones answer
400 and unknown ones 403. Errors of this layer are JSON ``{"message": "..."}``; everything
past it, failures included, is an HTTP 200 from :mod:`tillroll.sandbox.xgl_loyalty`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from . import credentials
from .appkeys import CLOCK, SEED
from .xgl_loyalty import Loyalty, XglRequestError

STATE = web.AppKey("tillroll_sandbox_xgl", Loyalty)
TENANT_HEADERS = ("x-company-id", "x-site-ids")


def setup(app: web.Application) -> None:
    """Create the loyalty program under :data:`STATE` and route ``POST /api/xgl``."""
    app[STATE] = Loyalty(app[SEED], app[CLOCK])
    app.router.add_post("/api/xgl", handle)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


async def handle(request: web.Request) -> web.Response:
    try:
        doc = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "The request body must be JSON: an XGL action body or its outHTTP envelope.")
    body, envelope_headers = unwrap(doc)
    if body is None:
        return _error(400, "The request body must be a JSON object (or {\"outHTTP\": {\"body\": {...}}}).")
    if refusal := check_tenant(request.headers, envelope_headers):
        return _error(*refusal)
    action = body.get("action_type")
    if not isinstance(action, str) or not action:
        return _error(400, "action_type is required (for example identifyCustomers).")
    try:
        return web.json_response(request.app[STATE].handle(action, body))
    except XglRequestError as exc:
        return _error(400, str(exc))


def unwrap(doc: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """``(action body, envelope headers)`` of a request document; the body is None if unusable."""
    if isinstance(doc, dict) and isinstance(doc.get("outHTTP"), dict):
        envelope = doc["outHTTP"]
        headers = envelope.get("headers") if isinstance(envelope.get("headers"), dict) else {}
        body = envelope.get("body")
        return (body if isinstance(body, dict) else None), headers
    return (doc if isinstance(doc, dict) else None), {}


def check_tenant(http_headers: Mapping[str, str], envelope_headers: dict[str, Any]) -> tuple[int, str] | None:
    """None when the tenant headers name the sandbox company and sites, else ``(status, message)``."""
    lowered = {str(k).lower(): str(v) for k, v in envelope_headers.items()}
    company, sites = (http_headers.get(name) or lowered.get(name) for name in TENANT_HEADERS)
    if not company or not sites:
        return 400, "The x-company-id and x-site-ids headers are required."
    if company != credentials.XGL_COMPANY_ID:
        return 403, f"Unknown x-company-id {company!r}."
    known = set(credentials.XGL_SITE_IDS.split(","))
    unknown = [site for site in (s.strip() for s in sites.split(",")) if site and site not in known]
    if unknown:
        return 403, f"Unknown site id(s) in x-site-ids: {', '.join(unknown)}."
    return None
