"""The recorder: raw exchanges in, redacted records into the cassette, counts kept.

Pure of mitmproxy, so it is tested without a proxy. :meth:`Recorder.record` never
raises: recording fails open (a problem is logged without secrets and counted), the
traffic it watches is never affected.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
from pathlib import Path

from tillroll.capture import DEFAULT_MAX_BODY
from tillroll.store.exchange import FAILURES, Exchange, hidden_failure
from tillroll.capture import capture_keyed
from tillroll.capture import RawExchange
from tillroll.capture import Redactor
from tillroll.store import CassetteError, CassetteWriter, open_writer
from tillroll.proxy.repeated_warnings import RepeatedWarnings

log = logging.getLogger("tillroll")


@dataclasses.dataclass
class Stats:
    recorded: int = 0
    failed_outcomes: int = 0  # vendor said no (incl. inside a 200)
    error_outcomes: int = 0  # HTTP errors and no-response exchanges
    redactions: int = 0
    recording_errors: int = 0  # exchanges tillroll could not record
    by_operation: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    def summary(self, cassette: str) -> str:
        lines = [f"tillroll: {self.recorded} exchange(s) recorded into {cassette}: "
                 f"{self.failed_outcomes} failed, {self.error_outcomes} error(s), "
                 f"{self.redactions} redaction(s), {self.recording_errors} not recorded"]
        by_count = sorted(self.by_operation.items(), key=lambda kv: (-kv[1], str(kv[0][0]), str(kv[0][1])))
        for (vendor, operation), n in by_count:  # an operation may be None (a request no profile names)
            lines.append(f"  {vendor:<9} {operation or '-':<40} {n:>7}")
        return "\n".join(lines)


class Recorder:
    """Turns raw exchanges into records and appends them, without ever raising."""

    def __init__(self, cassette: str | Path, redactor: Redactor, *, max_body: int = DEFAULT_MAX_BODY,
                 convert_on_append: bool = False):
        self.cassette = str(cassette)
        self.convert_on_append = convert_on_append
        self.redactor = redactor
        self.max_body = max_body
        self.stats = Stats()
        # the first failure of each kind at once, the rest counted (a full queue fails thousands a second)
        self._warnings = RepeatedWarnings(log, "exchange(s) not recorded")
        self._writer: CassetteWriter | None = None
        self._open_error: str | None = None
        self._open()

    def _open(self) -> None:
        try:
            # the store's own queue bound; never wait for the disk on the proxy's event loop
            # rows made into Arrow columns by the loop itself, every batch_rows-th append: the
            # writer's threads then need the GIL hardly at all (CassetteWriter says why)
            self._writer = open_writer(self.cassette, block_when_full=False,  # a folder or s3://
                                       convert_on_append=self.convert_on_append)
        except (CassetteError, OSError) as exc:
            self._open_error = _safe(exc)
            # A warning, not an error: mitmproxy exits on errors logged at start-up, and the
            # traffic must keep flowing (the exit summary counts what was not recorded).
            log.warning("tillroll: cannot record into %s (%s); traffic passes through unrecorded",
                        self.cassette, self._open_error)

    @property
    def ready(self) -> bool:
        return self._writer is not None

    def record(self, raw: RawExchange) -> Exchange | None:
        """Record *raw*; return the stored exchange, or None when it could not be recorded."""
        try:
            ex = capture_keyed(raw, self.redactor, max_body=self.max_body)  # with the key replay looks it up by
        except Exception as exc:  # a bug in decoding/redaction: count it, never leak the body
            return self._failed(f"capture failed ({type(exc).__name__})")
        return self.store(ex)

    def store(self, ex: Exchange) -> Exchange | None:
        """Append an exchange already captured; return it, or None when it could not be
        recorded (counted, never raised)."""
        if self._writer is None:
            return self._failed(f"no cassette ({self._open_error})", ex)
        try:
            self._writer.append(ex)
        except (CassetteError, OSError) as exc:
            return self._failed(_safe(exc), ex)
        s = self.stats
        s.recorded += 1
        s.redactions += len(ex.redactions)
        s.by_operation[(ex.vendor, ex.operation)] += 1
        if ex.outcome in FAILURES:
            s.failed_outcomes += 1
        elif ex.outcome == "error":
            s.error_outcomes += 1
        return ex

    def _failed(self, why: str, ex: Exchange | None = None) -> Exchange | None:
        self.stats.recording_errors += 1
        # the method and path template only: the path itself may hold an id, never a secret
        # after redaction, but the template is enough to find the exchange
        what = f"{ex.method} {ex.path_template}" if ex is not None else "an exchange"
        self._warnings.warn(why, "tillroll: %s was not recorded: %s", what, why)
        return None

    def close(self) -> str:
        """Flush and close the cassette; return the summary for the user, which counts
        only what is in the cassette's files."""
        writer, self._writer = self._writer, None
        self._warnings.close()
        if writer is not None:
            try:
                writer.close()
            except (CassetteError, OSError) as exc:
                log.error("tillroll: closing %s failed: %s", self.cassette, _safe(exc))
            self._not_written(writer)
        return self.stats.summary(self.cassette)

    def _not_written(self, writer: CassetteWriter) -> None:
        """Take what the writer could not write out of the counts (it was counted when
        appended): rows the store refused, and whatever a failing disk did not take."""
        lost = writer.lost
        if not lost:
            return
        s = self.stats
        s.recorded -= lost
        s.recording_errors += lost
        for what, n in writer.rejected.items():
            s.by_operation[what] -= n
            if s.by_operation[what] <= 0:
                del s.by_operation[what]
        log.warning("tillroll: %d exchange(s) could not be written to %s (%d refused by the store); "
                    "everything flushed before is in the cassette", lost, self.cassette, sum(writer.rejected.values()))


def describe(ex: Exchange) -> str:
    """One line for a person watching the proxy: vendor, operation, outcome."""
    text = f"tillroll: {ex.vendor} {ex.operation or '-'} {ex.outcome}"
    if ex.outcome != "ok" and ex.outcome_message:
        text += f": {ex.outcome_message[:120]}"
    if hidden_failure(ex.outcome, ex.status):
        text += f" (hidden in HTTP {ex.status})"
    return text


def _safe(exc: BaseException) -> str:
    """An error description without values: errors from the store name paths, not data."""
    if isinstance(exc, OSError):
        return f"{exc.strerror or type(exc).__name__}" + (f" ({exc.filename})" if exc.filename else "")
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
