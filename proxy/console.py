"""What the recording proxy prints: one line per exchange, made from the stored record.

Every other line goes through :class:`ScrubbedLog`. In mitmdump, where the terminal is the
only place a line goes, :class:`TerminalLine` prints it as mitmdump's terminal log would,
without making a log record.

mitmdump's own line per flow shows the raw URL (an ``api_key`` in a query, a token in a
path), so ``tillroll record`` turns it off (``flow_detail=0``) and prints this instead:
vendor, operation, status, outcome (a failure hidden in a 200 marked), duration, and the
method, path and query exactly as the cassette holds them — redacted, swept.

    spoonity  order.process  200  ⚠ failed: Duplicate receipt_number (hidden in HTTP 200)  84 ms  POST /order?api_key=tillroll:api_key:3f9a1c0b2e4d
"""

from __future__ import annotations

import logging
import time

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


class TerminalLine:
    """Prints tillroll's line per exchange exactly as mitmdump's terminal log prints an info
    record (its own formatter: time, colours on a terminal), without the record.

    Through ``logging`` each line made a record, went through every handler, and mitmproxy's
    handler of the deprecated ``add_log`` hook scheduled a hook dispatch to every addon on the
    event loop for it: ~2 % of a busy proxy's loop, for a line only the terminal shows. Used
    only where nothing else would see the record: :meth:`find` returns None unless the root
    logger's handlers are mitmdump's own (the terminal, the ``add_log`` events, the error
    check) and no addon implements ``add_log``; otherwise lines go through ``logging``.
    """

    QUIET_HANDLERS = ("LegacyLogEvents", "ErrorCheckHandler")  # nothing at info level reaches a person

    def __init__(self, handler: logging.Handler, logger: logging.Logger):
        self.handler, self.logger = handler, logger

    @classmethod
    def find(cls, addons, logger: logging.Logger) -> "TerminalLine | None":
        """The terminal writer for mitmdump with *addons* (every loaded addon), or None."""
        handlers = logging.getLogger().handlers
        terminal = [h for h in handlers if type(h).__name__ == "TermLogHandler"]
        if len(terminal) != 1 or any(type(h).__name__ not in cls.QUIET_HANDLERS
                                     for h in handlers if h is not terminal[0]):
            return None
        if any(hasattr(addon, "add_log") for addon in addons):
            return None
        if logger.handlers or not logger.propagate or logger.filters:
            return None
        return cls(terminal[0], logger)

    def write(self, line: str) -> None:
        handler = self.handler
        if handler.level > logging.INFO or not self.logger.isEnabledFor(logging.INFO):
            return  # termlog_verbosity=warn (or a level set on tillroll's logger)
        try:
            print(handler.formatter.format(_Line(line)), file=handler.file)
        except OSError:  # as mitmdump's own handler: the terminal is gone
            pass


class _Line:
    """What mitmproxy's formatter reads of a log record, for an info line made now."""

    __slots__ = ("message", "created", "msecs")
    levelno = logging.INFO
    exc_info = None

    def __init__(self, message: str):
        self.message = message
        self.created = time.time()
        self.msecs = int((self.created - int(self.created)) * 1000) + 0.0  # as LogRecord

    def getMessage(self) -> str:  # noqa: N802 (logging's name)
        return self.message
