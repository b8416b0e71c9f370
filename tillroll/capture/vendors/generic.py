"""Any other API: common secret names and value detectors (in :mod:`tillroll.capture.policy`),
operation ``METHOD /path/{id}``, parameters from the JSON body, form or query."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import parse_qsl

from .base import (
    MESSAGE_READS,
    NOT_JSON,
    Profile,
    Reads,
    RequestView,
    VendorView,
    generic_template,
)


class Generic(Profile):
    name = "generic"
    reads: ClassVar[Reads] = {}  # the body, when JSON, is the parameters: as a whole, never read member by member
    outcome_reads = MESSAGE_READS  # the generic HTTP outcome

    def recognise(self, req: RequestView) -> int:
        return 1

    def decode(self, req: RequestView) -> VendorView:
        template = generic_template(req.path)
        view = VendorView(api=None, operation=f"{req.method} {template}", path_template=template)
        if req.json is not NOT_JSON:
            view.params, view.params_encoding = req.json, "json"
        elif req.text and "x-www-form-urlencoded" in (req.content_type or ""):
            view.params, view.params_encoding = dict(parse_qsl(req.text, keep_blank_values=True)), "form"
        elif req.query:
            view.params, view.params_encoding = dict(req.query), "query"
        return view


PROFILE = Generic()
