"""What the recording proxy prints: one line per exchange, made from the stored record.

Every other line goes through :class:`ScrubbedLog`.

mitmdump's own line per flow shows the raw URL (an ``api_key`` in a query, a token in a
path), so ``tillroll record`` turns it off (``flow_detail=0``) and prints this instead:
vendor, operation, status, outcome (a failure hidden in a 200 marked), duration, and the
method, path and query exactly as the cassette holds them — redacted, swept.

    spoonity  order.process  200  ⚠ failed: Duplicate receipt_number (hidden in HTTP 200)  84 ms  POST /order?api_key=tillroll:api_key:3f9a1c0b2e4d
"""

from __future__ import annotations

import logging

from tillroll.store.exchange import FAILURES, Exchange, hidden_failure
from tillroll.capture import Redactor
from tillroll.capture.scrub import scrub

MAX_TARGET = 200  # characters of path and query shown (the rest is elided; all of it is redacted)
MAX_MESSAGE = 120


def exchange_line(ex: Exchange) -> str:
    status = str(ex.status) if ex.status is not None else "---"
    outcome = ex.outcome or "ok"
    if outcome in FAILURES:
        outcome = f"⚠ {outcome}"
    if ex.outcome != "ok" and ex.outcome_message:
        message = ex.outcome_message.splitlines()[0] if ex.outcome_message.strip() else ""
        outcome += f": {_cut(message, MAX_MESSAGE)}"
    if hidden_failure(ex.outcome, ex.status):
        outcome += f" (hidden in HTTP {ex.status})"
    duration = f"{ex.duration_ms:.0f} ms" if ex.duration_ms is not None else "- ms"
    target = (ex.path or "/") + (f"?{ex.query}" if ex.query else "")
    return (f"{ex.vendor or 'generic'}  {ex.operation or '-'}  {status}  {outcome}  {duration}  "
            f"{ex.method} {_cut(target, MAX_TARGET)}")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ScrubbedLog(logging.Filter):
    """mitmproxy's event log without request data: every record not from tillroll (whose
    lines are made from redacted records) is scrubbed — byte strings, URL paths and
    queries, request targets dropped; named secrets and detected values redacted —
    on every handler (the terminal, mitmweb's event log) before it is shown."""

    redactor: Redactor | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "tillroll" or record.name.startswith("tillroll."):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: show its format string only
            message = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            message += f" ({type(record.exc_info[1]).__name__})"  # the traceback's text may quote data
        redaction = self.redactor.start() if self.redactor is not None else None
        record.msg, record.args = scrub(message, redaction), ()
        record.exc_info = record.exc_text = None
        return True

    @classmethod
    def install(cls, redactor: Redactor | None) -> None:
        """On every handler of the root logger (idempotent); *redactor* replaces the last one."""
        cls.redactor = redactor
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, cls) for f in handler.filters):
                handler.addFilter(cls())
