"""The tillroll recording addon for mitmproxy (mitmdump, mitmweb, mitmproxy alike).

    mitmdump -s "$(tillroll addon-path)" --set tillroll_cassette=cassettes/live

On every finished flow (and on errors with no response) the flow becomes a neutral raw
exchange and is handed to a capture worker process (``tillroll.proxy.worker``), which decodes,
redacts and appends it to the cassette, so none of that runs on mitmproxy's event loop.
Its answer comes back a few milliseconds later: the flow's comment says what tillroll
understood, and failures hidden in a 200 are marked. ``--set tillroll_inline=true``
does the same work on the event loop instead (simpler to debug, slower).

Fail open: nothing here may change or break the exchange being proxied. Every hook
catches everything, logs it without secrets and counts it; the count is in the summary.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from typing import Optional

from mitmproxy import ctx, exceptions, http
from mitmproxy.hooks import UpdateHook

# Loaded by path with `-s` (`mitmdump -s "$(tillroll addon-path)"`), this file is not part
# of its package: it imports tillroll by its one name, as any user's script would.
from mitmproxy.addonmanager import traverse

from tillroll.proxy.console import ScrubbedLog, TerminalLine, exchange_line
from tillroll.proxy.recorder import Recorder, describe
from tillroll.proxy.tee import Tee
from tillroll.proxy.worker import CaptureWorker, WorkerError
from tillroll.capture import DEFAULT_MAX_BODY
from tillroll.capture.flows import raw_from_flow
from tillroll.capture import RedactionKeyError, key_id, load_key
from tillroll.capture import PolicyError, load_policy
from tillroll.capture import Redactor
from tillroll.store.exchange import FAILURES

log = logging.getLogger("tillroll")
WARNING_MARK = ":warning:"


class TillrollRecorder:
    def __init__(self) -> None:
        self.recorder: Recorder | None = None  # inline mode
        self.worker: CaptureWorker | None = None  # the default
        self._waiting: dict[str, http.HTTPFlow] = {}  # flows whose comment the worker owes
        self._reader_loop: asyncio.AbstractEventLoop | None = None
        self._connections_seen: set[str] = set()
        self._redactor: Redactor | None = None  # for the event log's lines (ScrubbedLog)
        self._terminal: TerminalLine | None = None  # mitmdump: lines printed without logging

    def load(self, loader) -> None:
        loader.add_option("tillroll_cassette", Optional[str], None,
                          "Record every exchange into this cassette directory (recording is off when unset).")
        loader.add_option("tillroll_key_file", Optional[str], None,
                          "Redaction key file (default: $TILLROLL_KEY, then ~/.config/tillroll/key).")
        loader.add_option("tillroll_policy", Optional[str], None, "Redaction policy file (TOML).")
        loader.add_option("tillroll_max_body", int, DEFAULT_MAX_BODY,
                          "Store at most this many bytes of a body, and inflate a compressed one no further "
                          "(the client always gets all of it).")
        loader.add_option("tillroll_console", bool, False,
                          "Print one redacted line per exchange (what tillroll record shows instead of "
                          "mitmdump's raw flow lines).")
        loader.add_option("tillroll_inline", bool, False,
                          "Decode, redact and store on mitmproxy's event loop instead of a worker process.")

    def configure(self, updated: set[str]) -> None:
        if not updated & {"tillroll_cassette", "tillroll_key_file", "tillroll_policy", "tillroll_max_body",
                          "tillroll_inline"}:
            return
        opts = ctx.options
        if opts.tillroll_max_body < 0:
            raise exceptions.OptionsError("tillroll_max_body must be 0 or more bytes")
        if not opts.tillroll_cassette:
            self._close()
            return
        try:
            key, policy = load_key(opts.tillroll_key_file), load_policy(opts.tillroll_policy)
        except (RedactionKeyError, PolicyError) as exc:
            raise exceptions.OptionsError(str(exc)) from None
        self._close()
        self._redactor = Redactor(key, policy)
        ScrubbedLog.redactor = self._redactor
        ready = self._start(opts.tillroll_cassette, key, policy, opts.tillroll_inline, opts.tillroll_max_body)
        if ready:
            log.info("tillroll: recording into %s (key %s, policy %s%s)", opts.tillroll_cassette,
                     key_id(key), policy.name, ", inline" if self.recorder else "")

    def _start(self, cassette: str, key: bytes, policy, inline: bool, max_body: int) -> bool:
        if not inline:
            try:
                self.worker = CaptureWorker(cassette, key, policy, max_body=max_body)
                return self.worker.ready
            except (WorkerError, OSError) as exc:
                log.warning("tillroll: %s; recording on the event loop instead", exc)
        self.recorder = Recorder(cassette, Redactor(key, policy), max_body=max_body)
        return self.recorder.ready

    # -- streamed bodies: keep the first bytes, forward everything -------------------------
    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if self._recording and flow.request.stream is True:
            flow.request.stream = Tee(ctx.options.tillroll_max_body)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        if self._recording and flow.response is not None and flow.response.stream is True:
            flow.response.stream = Tee(ctx.options.tillroll_max_body)

    # -- finished flows -----------------------------------------------------------------------
    def response(self, flow: http.HTTPFlow) -> None:
        self._record(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._record(flow)

    @property
    def _recording(self) -> bool:
        return self.recorder is not None or self.worker is not None

    def _record(self, flow: http.HTTPFlow) -> None:
        if not self._recording:
            return
        try:
            conn = flow.server_conn.id if flow.server_conn else ""
            new_connection = conn not in self._connections_seen
            self._connections_seen.add(conn)
            if len(self._connections_seen) > 100_000:  # bounded: forget old connections
                self._connections_seen.clear()
            req_tee = flow.request.stream if isinstance(flow.request.stream, Tee) else None
            resp_tee = flow.response.stream if flow.response and isinstance(flow.response.stream, Tee) else None
            raw = raw_from_flow(flow, max_body=ctx.options.tillroll_max_body,
                                request_stream=(req_tee.kept, req_tee.total) if req_tee else None,
                                response_stream=(resp_tee.kept, resp_tee.total) if resp_tee else None,
                                new_connection=new_connection)
        except Exception as exc:  # fail open
            (self.worker or self.recorder).stats.recording_errors += 1
            log.warning("tillroll: could not read a flow (%s)", type(exc).__name__)
            return
        if self.worker is not None:
            # an answer (the flow's comment, the console line) only where something shows it:
            # not for quiet mitmdump, whose flows are never shown again
            shown = ctx.options.tillroll_console or not _dump_ui()
            if self.worker.submit(flow.id if shown else None, raw) and shown:
                self._waiting[flow.id] = flow
                if len(self._waiting) > 2 * self.worker.max_pending:  # answers that never came
                    self._waiting.pop(next(iter(self._waiting)))
                self._listen()
            return
        ex = self.recorder.record(raw)
        if ex is not None:
            _annotate(flow, describe(ex), ex.outcome in FAILURES)
            self._print(exchange_line(ex))

    def _print(self, line: str) -> None:
        if ctx.options.tillroll_console:
            if self._terminal is not None:
                self._terminal.write(line)
            else:
                log.info("%s", line)

    # -- the worker's answers -------------------------------------------------------------------
    def _listen(self) -> None:
        """Read the worker's answers on the event loop, as they come."""
        if self._reader_loop is not None or self.worker is None or self.worker.gone:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a test harness): the answers are applied at close
        loop.add_reader(self.worker.results_fd, self._answers)
        self._reader_loop = loop

    def _answers(self) -> None:
        if self.worker is not None:
            self._apply(self.worker.results(), notify=True)
            if self.worker.gone and self._reader_loop is not None:  # EOF stays readable: stop listening
                self._reader_loop.remove_reader(self.worker.results_fd)
                self._reader_loop = None

    def _apply(self, answers, notify: bool) -> None:
        updated = []
        for tag, comment, failed, line in answers:
            self._print(line)
            flow = self._waiting.pop(tag, None)
            if flow is not None:
                _annotate(flow, comment, failed)
                updated.append(flow)
        if updated and notify and not _dump_ui():
            try:
                ctx.master.addons.trigger(UpdateHook(updated))  # mitmweb and the console redraw
            except Exception:  # cosmetic only
                pass

    def running(self) -> None:
        self._listen()
        ScrubbedLog.install(self._redactor)
        try:
            self._terminal = TerminalLine.find(traverse(ctx.master.addons.chain), log) if _dump_ui() else None
        except Exception:  # cosmetic: lines go through logging
            self._terminal = None
        # Everything loaded so far (mitmproxy, tillroll, their modules) lives as long as the
        # process: keep it out of the cyclic GC's full collections, which otherwise stopped
        # the event loop for 50-70 ms every few thousand requests (benchmarks/RESULTS.md).
        gc.freeze()

    def done(self) -> None:
        self._close()

    def _close(self) -> None:
        summary = None
        if self.worker is not None:
            worker, self.worker = self.worker, None
            if self._reader_loop is not None:
                self._reader_loop.remove_reader(worker.results_fd)
                self._reader_loop = None
            summary, answers = worker.close()
            self._apply(answers, notify=False)
            self._waiting.clear()
        if self.recorder is not None:
            summary = self.recorder.close()
            self.recorder = None
        if summary is not None:
            if not _dump_ui():  # mitmweb's or the console's event log
                log.info(summary)
            print(summary, file=sys.stderr, flush=True)


def _dump_ui() -> bool:
    """Whether this is mitmdump, which shows no flow list: nothing to redraw when a comment
    changes (a hook dispatch to every addon per answer, for nothing), and no event log."""
    return type(getattr(ctx, "master", None)).__name__ == "DumpMaster"


def _annotate(flow: http.HTTPFlow, comment: str, failed: bool) -> None:
    try:
        flow.comment = comment
        if failed and not flow.marked:
            flow.marked = WARNING_MARK
    except Exception:  # cosmetic only
        pass


addons = [TillrollRecorder()]
