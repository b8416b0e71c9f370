"""SpotOn restaurant POS export API (cash deposits, paid in/outs, and the other
``/posexport/v1/locations/{locationId}/...`` resources).

The operation is ``<resource>.list`` or ``<resource>.get`` from the path; ``locationId``
and the window parameters (``updatedAtStart/End``, ``createdAtStart/End``) are kept as
queryable parameters, verbatim, so their documented format (RFC 3339 without milliseconds)
can be checked; ``x-api-key`` is a secret and ``employeeName`` PII. Which window field a
resource is polled by, and the paid in/outs' ``voided``/``deleted`` flags in responses, are
read by the ``spoton`` analysis view (analysis/sql/views/spoton.sql), not here.

The documents describe only the ``200 OK`` payloads: they give no error status or error
body. So the outcome is the generic HTTP one: no response or a status of 400 or more is an
``error``, with the body's message when it has an obvious one (``{"message": ...}``).
"""

from __future__ import annotations

import re
from typing import ClassVar

from .base import MESSAGE_READS, Profile, Reads, RequestView, VendorView, rules

_PATH = re.compile(
    r"^(?P<prefix>.*?)/posexport/v(?P<version>\d+)/locations/(?P<loc>[^/]+)/(?P<resource>[a-z][a-z-]*)"
    r"(?:/(?P<id>[^/]+))?/?$"
)
ID_NAMES = {"cash-deposits": "cashDepositId", "paid-in-outs": "paidInOutId", "orders": "orderId"}


class SpotOn(Profile):
    name = "spoton"
    docs = "SpotOn POS Export API: Cash Deposits, Paid In/Outs"
    field_rules = rules({
        "secret": ["x-api-key"],
        "pii": ["employeeName", "paid_out_by_name", "customerName"],
        "keep": ["locationId", "updatedAtStart", "updatedAtEnd", "createdAtStart", "createdAtEnd",
                 "employeeId", "jobPositionId", "lastUpdatedByEmployeeId", "paymentOptionId"],
    }, "spoton")
    reads: ClassVar[Reads] = {}  # the path and the query say everything
    outcome_reads = MESSAGE_READS  # the generic HTTP outcome

    def recognise(self, req: RequestView) -> int:
        score = 60 if _PATH.match(req.path) else 0
        if "spoton.com" in req.host:
            score += 40
        return min(score, 100)

    def decode(self, req: RequestView) -> VendorView:
        m = _PATH.match(req.path)
        if not m:
            return VendorView(api="posexport", operation=f"{req.method} {req.path}", path_template=req.path)
        resource = m.group("resource")
        template = f"{m.group('prefix')}/posexport/v{m.group('version')}/locations/{{locationId}}/{resource}"
        params = {"locationId": m.group("loc")}
        if m.group("id"):
            id_name = ID_NAMES.get(resource, "id")
            template += f"/{{{id_name}}}"
            params[id_name] = m.group("id")
        params.update(req.query)
        action = "get" if m.group("id") else "list"
        return VendorView(api="posexport", operation=f"{resource}.{action}", params=params,
                          params_encoding="query", path_template=template)


PROFILE = SpotOn()
