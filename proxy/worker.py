"""Capture off mitmproxy's event loop: a worker process decodes, redacts and stores.

The proxy's event loop only turns a flow into a raw exchange and hands it over
(:meth:`CaptureWorker.submit`, a deque append). A sender thread pickles batches to a
child process, which runs the same :class:`~proxy.recorder.Recorder` as the inline mode
and answers with one line per exchange (the flow's comment) and, at the end, its counts.

Fail open, never block: when the child falls behind, at most ``max_pending`` exchanges
(or ``max_pending_bytes`` of bodies) wait; beyond that an exchange is not recorded and
counted, and the traffic is untouched. When the child dies, the rest is counted too.

The child holds the redaction key in memory only (it comes through the pipe, never argv
or disk); it ignores Ctrl-C so that the proxy's shutdown can drain it, and it closes the
cassette when its parent disappears (EOF on the pipe).
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import multiprocessing
import operator
import pickle
import signal
import threading
import time
from typing import Any, Hashable

from tillroll.proxy.console import exchange_line
from tillroll.proxy.recorder import Recorder, Stats, describe
from tillroll.capture import DEFAULT_MAX_BODY
from tillroll.capture import Policy
from tillroll.capture import RawExchange
from tillroll.capture.raw import RawRequest, RawResponse
from tillroll.capture import Redactor
from tillroll.store.exchange import FAILURES

log = logging.getLogger("tillroll")
Result = tuple[Hashable, str, bool, str]  # (tag, comment, failed outcome, console line)


class WorkerError(Exception):
    """The capture worker could not be started."""


class CaptureWorker:
    def __init__(self, cassette: str, key: bytes, policy: Policy, *, max_body: int = DEFAULT_MAX_BODY,
                 max_pending: int = 20_000,
                 max_pending_bytes: int = 256 << 20, batch: int = 256, start_timeout: float = 60.0):
        mp = multiprocessing.get_context("spawn")  # no fork of a threaded proxy
        self._results, child_results = mp.Pipe(duplex=False)
        child_inbox, self._inbox = mp.Pipe(duplex=False)
        self._proc = mp.Process(target=_child, name="tillroll-capture", daemon=True,
                                args=(cassette, key, policy, max_body, child_inbox, child_results))
        self._proc.start()
        child_inbox.close()
        child_results.close()
        if not self._results.poll(start_timeout):
            self._proc.kill()
            raise WorkerError(f"the capture worker did not start within {start_timeout:.0f} s")
        try:
            kind, self.ready, self.open_error = self._results.recv()
        except (EOFError, OSError):
            raise WorkerError("the capture worker exited while starting") from None
        self.cassette = cassette
        self.stats = Stats()  # what the parent itself could not hand over
        self.max_pending, self.max_pending_bytes, self.batch = max_pending, max_pending_bytes, batch
        self._pending: collections.deque[tuple[Hashable, RawExchange, int]] = collections.deque()
        self._pending_bytes = 0
        self._wake = threading.Event()
        self._closing = False
        self._broken = False
        self._final: Any = None  # the child's last message: its counts
        self._eof = False
        self._lock = threading.Lock()
        self._sender = threading.Thread(target=self._send_loop, name="tillroll-sender", daemon=True)
        self._sender.start()

    @property
    def results_fd(self) -> int:
        """Readable when the child has answered (for ``loop.add_reader``)."""
        return self._results.fileno()

    @property
    def gone(self) -> bool:
        """The child has closed its end: no more answers will come."""
        return self._eof

    def submit(self, tag: Hashable, raw: RawExchange) -> bool:
        """Hand *raw* to the worker; never blocks. False when it cannot be recorded. The worker
        answers for it (:meth:`results`) unless *tag* is None."""
        size = _size(raw)
        if self._broken or self._closing or len(self._pending) >= self.max_pending \
                or self._pending_bytes + size > self.max_pending_bytes:
            self._lost("the capture worker is behind" if not self._broken else "the capture worker is gone")
            return False
        with self._lock:
            self._pending.append((tag, raw, size))
            self._pending_bytes += size
        if len(self._pending) >= self.batch:
            self._wake.set()
        return True

    def results(self) -> list[Result]:
        """The answers available now (never blocks)."""
        out: list[Result] = []
        try:
            while self._results.poll():
                message = self._results.recv()
                if isinstance(message, list):
                    out.extend(message)
                else:
                    self._final = message
        except (EOFError, OSError):
            self._eof = True
        return out

    def close(self, timeout: float = 300.0) -> tuple[str, list[Result]]:
        """Send what waits, let the child finish and close the cassette; return the summary
        and the last answers."""
        self._closing = True
        self._wake.set()
        deadline = time.monotonic() + timeout
        answers: list[Result] = []
        while self._sender.is_alive() and time.monotonic() < deadline:
            # Read the answers meanwhile: unread, they fill their pipe, the child waits to
            # send them and stops reading its inbox, and the sender waits on the child.
            answers.extend(self.results())
            self._sender.join(0.02)
        try:
            while self._final is None and not self._eof and self._results.poll(max(0.0, deadline - time.monotonic())):
                answers.extend(self.results())
        except (EOFError, OSError):
            pass
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.kill()
        stats = self.stats
        if self._final is not None:
            _, child_stats = self._final
            child_stats.recording_errors += stats.recording_errors
            stats = child_stats
        else:
            log.error("tillroll: the capture worker did not finish; its last exchanges may be missing")
            stats.recording_errors += 1
        self._results.close()
        return stats.summary(self.cassette), answers

    # -- the sender thread ------------------------------------------------------------------
    def _send_loop(self) -> None:
        while True:
            self._wake.wait(0.01)
            self._wake.clear()
            while self._pending:
                with self._lock:
                    batch = [self._pending.popleft() for _ in range(min(self.batch, len(self._pending)))]
                    self._pending_bytes -= sum(size for _, _, size in batch)
                if self._broken:
                    self._lost("the capture worker is gone", len(batch))
                    continue
                try:
                    self._inbox.send_bytes(pickle.dumps([(tag, pack(raw)) for tag, raw, _ in batch], protocol=5))
                except (OSError, ValueError, pickle.PicklingError) as exc:
                    self._broken = True
                    log.error("tillroll: the capture worker stopped (%s); traffic passes through unrecorded",
                              type(exc).__name__)
                    self._lost("the capture worker is gone", len(batch))
            if self._closing:
                try:
                    self._inbox.send_bytes(pickle.dumps(None))
                except OSError:
                    pass
                self._inbox.close()
                return

    def _lost(self, why: str, n: int = 1) -> None:
        first = self.stats.recording_errors == 0
        self.stats.recording_errors += n
        if first:  # once: a flood of identical lines would bury the proxy's own output
            log.warning("tillroll: exchanges are not being recorded: %s (counted in the summary)", why)


def _child(cassette: str, key: bytes, policy: Policy, max_body: int, inbox, results) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent's shutdown drains us; when the
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # parent is gone, EOF on the pipe ends us
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    # This loop is all this process does: it turns full batches into Arrow columns itself
    # rather than leaving the writer's thread to fight it for the GIL (CassetteWriter).
    recorder = Recorder(cassette, Redactor(key, policy), max_body=max_body, convert_on_append=True)
    del key
    results.send(("ready", recorder.ready, recorder._open_error))
    while True:
        try:
            batch = pickle.loads(inbox.recv_bytes())
        except (EOFError, OSError):
            break  # the proxy is gone: close the cassette cleanly
        if batch is None:
            break
        answers = []
        for tag, values in batch:
            ex = recorder.record(unpack(values))
            if ex is not None and tag is not None:
                answers.append((tag, describe(ex), ex.outcome in FAILURES, exchange_line(ex)))
        if answers:
            try:
                results.send(answers)
            except OSError:
                pass
    recorder.close()
    try:
        results.send(("done", recorder.stats))
    except OSError:
        pass


def _size(raw: RawExchange) -> int:
    return len(raw.request.body or b"") + (len(raw.response.body or b"") if raw.response else 0) + 1024


# -- the hand-over: a raw exchange as plain values ----------------------------------------------
# Pickling the dataclasses themselves (their state by name, a class looked up for each) cost
# the proxy's sender thread about 6 µs an exchange; their values in field order cost about
# 1.6 (and the child rebuilds them in 3.5 µs instead of 5.6). The fields are read from the
# dataclasses, never spelt here.
_EXCHANGE_FIELDS = [f.name for f in dataclasses.fields(RawExchange)]
_exchange_values = operator.attrgetter(*_EXCHANGE_FIELDS)
_request_values = operator.attrgetter(*[f.name for f in dataclasses.fields(RawRequest)])
_response_values = operator.attrgetter(*[f.name for f in dataclasses.fields(RawResponse)])
_REQUEST, _RESPONSE = _EXCHANGE_FIELDS.index("request"), _EXCHANGE_FIELDS.index("response")


def pack(raw: RawExchange) -> list:
    """*raw* as a list of plain values (request and response as tuples), for pickling."""
    values = list(_exchange_values(raw))
    values[_REQUEST] = _request_values(values[_REQUEST])
    if values[_RESPONSE] is not None:
        values[_RESPONSE] = _response_values(values[_RESPONSE])
    return values


def unpack(values: list) -> RawExchange:
    """The raw exchange :func:`pack` made *values* of."""
    values[_REQUEST] = RawRequest(*values[_REQUEST])
    if values[_RESPONSE] is not None:
        values[_RESPONSE] = RawResponse(*values[_RESPONSE])
    return RawExchange(*values)
