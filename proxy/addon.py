"""The tillroll recording addon for mitmproxy (mitmdump, mitmweb, mitmproxy alike).

    mitmdump -s proxy/addon.py --set tillroll_cassette=cassettes/live

On every finished flow (and on errors with no response) the flow becomes a neutral raw
exchange, goes through vendor decoding and redaction, and is appended to the cassette.
The flow's comment says what tillroll understood; failures hidden in a 200 are marked.

Fail open: nothing here may change or break the exchange being proxied. Every hook
catches everything, logs it without secrets and counts it; the count is in the summary.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from typing import Optional

from mitmproxy import ctx, exceptions, http

# Loaded by path with `-s`, this file is not imported as part of its package.
if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from proxy.recorder import Recorder, describe  # noqa: E402
from proxy.tee import Tee  # noqa: E402
from tillroll.flows import raw_from_flow  # noqa: E402
from tillroll.keys import RedactionKeyError, load_key  # noqa: E402
from tillroll.policy import PolicyError, load_policy  # noqa: E402
from tillroll.redact import Redactor  # noqa: E402

log = logging.getLogger("tillroll")
DEFAULT_MAX_BODY = 4 * 1024 * 1024
WARNING_MARK = ":warning:"


class TillrollRecorder:
    def __init__(self) -> None:
        self.recorder: Recorder | None = None
        self._connections_seen: set[str] = set()

    def load(self, loader) -> None:
        loader.add_option("tillroll_cassette", Optional[str], None,
                          "Record every exchange into this cassette directory (recording is off when unset).")
        loader.add_option("tillroll_key_file", Optional[str], None,
                          "Redaction key file (default: $TILLROLL_KEY, then ~/.config/tillroll/key).")
        loader.add_option("tillroll_policy", Optional[str], None, "Redaction policy file (TOML).")
        loader.add_option("tillroll_max_body", int, DEFAULT_MAX_BODY,
                          "Store at most this many bytes of a body (the client always gets all of it).")

    def configure(self, updated: set[str]) -> None:
        if not updated & {"tillroll_cassette", "tillroll_key_file", "tillroll_policy", "tillroll_max_body"}:
            return
        opts = ctx.options
        if opts.tillroll_max_body < 0:
            raise exceptions.OptionsError("tillroll_max_body must be 0 or more bytes")
        if not opts.tillroll_cassette:
            self._close()
            return
        try:
            redactor = Redactor(load_key(opts.tillroll_key_file), load_policy(opts.tillroll_policy))
        except (RedactionKeyError, PolicyError) as exc:
            raise exceptions.OptionsError(str(exc)) from None
        self._close()
        self.recorder = Recorder(opts.tillroll_cassette, redactor)
        if self.recorder.ready:
            log.info("tillroll: recording into %s (key %s, policy %s)", opts.tillroll_cassette,
                     redactor.key_id, redactor.policy.name)

    # -- streamed bodies: keep the first bytes, forward everything -------------------------
    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if self.recorder and flow.request.stream is True:
            flow.request.stream = Tee(ctx.options.tillroll_max_body)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        if self.recorder and flow.response is not None and flow.response.stream is True:
            flow.response.stream = Tee(ctx.options.tillroll_max_body)

    # -- finished flows -----------------------------------------------------------------------
    def response(self, flow: http.HTTPFlow) -> None:
        self._record(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._record(flow)

    def _record(self, flow: http.HTTPFlow) -> None:
        if self.recorder is None:
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
            self.recorder.stats.recording_errors += 1
            log.warning("tillroll: could not read a flow (%s)", type(exc).__name__)
            return
        ex = self.recorder.record(raw)
        if ex is not None:
            try:
                flow.comment = describe(ex)
                if ex.outcome == "failed" and not flow.marked:
                    flow.marked = WARNING_MARK
            except Exception:  # cosmetic only
                pass

    def running(self) -> None:
        # Everything loaded so far (mitmproxy, tillroll, their modules) lives as long as the
        # process: keep it out of the cyclic GC's full collections, which otherwise stopped
        # the event loop for 50-70 ms every few thousand requests (benchmarks/RESULTS.md).
        gc.freeze()

    def done(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.recorder is not None:
            summary = self.recorder.close()
            self.recorder = None
            log.info(summary)
            print(summary, file=sys.stderr, flush=True)


addons = [TillrollRecorder()]
