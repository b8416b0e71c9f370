"""Capture imported entries on every core.

Decoding and redaction (:func:`~tillroll.capture.pipeline.capture`) is most of an import's cost and
runs one entry at a time in Python, so a big file is spread over worker processes: the
parent reads the file and hands out batches through a bounded queue (memory stays bounded
however big the file), and each worker captures its batches and appends them with its own
writer into the same staging cassette (the store takes several writers). Recorded order is
by ``started_at``, so it does not matter who wrote what.

A batch is either raw exchanges (``(entry index, raw)`` pairs) or, for HAR, the entries'
own bytes (:class:`~.har_bytes.EntryBytes`), which the worker decodes itself: the reader
then builds and pickles no object per entry.
"""

from __future__ import annotations

import multiprocessing
import queue
from pathlib import Path
from typing import Iterable, NamedTuple

from tillroll.capture import DEFAULT_MAX_BODY
from tillroll.capture import capture_keyed
from tillroll.capture import Policy
from tillroll.capture import RawExchange
from tillroll.capture import Redactor
from tillroll.store import CassetteError, CassetteWriter
from .har_bytes import EntryBytes, decode_entries

BATCH = 256
Skipped = list[tuple[int, str]]


class WorkerFailed(Exception):
    """A worker process died or could not write: the file is not imported."""


class Finished(NamedTuple):
    """What the workers did: exchanges stored, entries skipped by capture or the store,
    entries that could not be raw exchanges (HAR entries decoded by the workers), and the
    index of the first entry they left to the standard reader (None when none)."""
    stored: int
    skipped: Skipped
    broken: Skipped
    unsure: int | None


class _Tally:
    """One capturer's counts, in a worker or in the parent."""

    def __init__(self):
        self.stored, self.skipped, self.broken, self.unsure = 0, [], [], None

    def take(self, batch, redactor: Redactor, writer: CassetteWriter, max_body: int) -> None:
        """Capture one batch (raw exchanges, or HAR entries' bytes decoded here first)."""
        if self.unsure is not None:
            return  # the file is read again the standard way: nothing more is worth doing
        if isinstance(batch, EntryBytes):
            batch, broken, self.unsure = decode_entries(batch, max_body)
            self.broken += broken
            if self.unsure is not None:
                return
        self.stored += capture_batch(batch, redactor, writer, self.skipped, max_body)

    def finished(self, writer: CassetteWriter) -> Finished:
        stored = self.stored - _refused(writer, self.skipped)
        return Finished(stored, self.skipped, self.broken, self.unsure)  # in the order captured


def capture_batch(batch: Iterable[tuple[int, RawExchange]], redactor: Redactor, writer: CassetteWriter,
                  skipped: Skipped, max_body: int = DEFAULT_MAX_BODY) -> int:
    """Capture and append each ``(entry index, raw)`` of *batch*; return how many were stored."""
    stored = 0
    for index, raw in batch:
        try:
            ex = capture_keyed(raw, redactor, max_body=max_body)
        except Exception as exc:  # a decoding bug: never let a value into the message
            skipped.append((index, f"could not be decoded ({type(exc).__name__})"))
            continue
        writer.append(ex)
        stored += 1
    return stored


class InProcess:
    """Capture on this thread (small files: starting workers would cost more than it saves)."""

    def __init__(self, staging: Path, name: str, key: bytes, policy: Policy, max_body: int = DEFAULT_MAX_BODY):
        self._redactor = Redactor(key, policy)
        self._max_body = max_body
        self._writer = CassetteWriter(staging, cassette=name)
        self._tally = _Tally()

    def submit(self, batch: list[tuple[int, RawExchange]] | EntryBytes) -> None:
        try:
            self._tally.take(batch, self._redactor, self._writer, self._max_body)
        except CassetteError as exc:
            raise WorkerFailed(f"could not be written: {exc}") from None

    def finish(self) -> Finished:
        try:
            self._writer.close()
        except CassetteError as exc:
            raise WorkerFailed(f"could not be written: {exc}") from None
        return self._tally.finished(self._writer)

    def stop(self) -> None:
        try:
            self._writer.close()
        except CassetteError:
            pass


class Pool:
    """*n* worker processes capturing into the cassette at *staging*."""

    def __init__(self, n: int, staging: Path, name: str, key: bytes, policy: Policy, max_body: int = DEFAULT_MAX_BODY):
        mp = multiprocessing.get_context("spawn")  # a fork would copy the parent's threads' locks
        self._inbox = mp.Queue(maxsize=2 * n)  # bounded: the reader waits for the workers
        self._results = mp.Queue()
        self._procs = [mp.Process(target=_work, name=f"tillroll-import-{i}", daemon=True,
                                  args=(self._inbox, self._results, staging, name, key, policy, max_body))
                       for i in range(n)]
        for proc in self._procs:
            proc.start()

    def submit(self, batch: list[tuple[int, RawExchange]] | EntryBytes) -> None:
        while True:
            try:
                self._inbox.put(batch, timeout=1.0)
                return
            except queue.Full:
                self._check_alive()

    def finish(self) -> Finished:
        """Let the workers drain the queue and close their writers; their counts."""
        for _ in self._procs:
            self.submit(None)  # type: ignore[arg-type]
        stored, skipped, broken, unsure, problems = 0, [], [], [], []
        for _ in self._procs:
            while True:
                try:
                    done, problem = self._results.get(timeout=1.0)
                    break
                except queue.Empty:
                    self._check_alive()
            stored += done.stored
            skipped += done.skipped
            broken += done.broken
            unsure += [] if done.unsure is None else [done.unsure]
            if problem:
                problems.append(problem)
        for proc in self._procs:
            proc.join(30)
        if problems:
            raise WorkerFailed(problems[0])
        return Finished(stored, sorted(skipped), sorted(broken), min(unsure, default=None))

    def stop(self) -> None:
        """Stop at once (the file is being abandoned)."""
        for proc in self._procs:
            if proc.is_alive():
                proc.kill()
            proc.join(10)
        self._inbox.cancel_join_thread()

    def _check_alive(self) -> None:
        for proc in self._procs:
            if not proc.is_alive() and proc.exitcode not in (0, None):
                raise WorkerFailed(f"an import worker stopped (exit status {proc.exitcode})")


def _work(inbox, results, staging: Path, name: str, key: bytes, policy: Policy, max_body: int) -> None:
    redactor = Redactor(key, policy)
    tally, problem = _Tally(), None
    # This loop is all the process does: it turns full batches into Arrow columns itself,
    # rather than leaving the writer's thread to wait for the GIL between its slices.
    writer = CassetteWriter(staging, cassette=name, convert_on_append=True)
    try:
        while (batch := inbox.get()) is not None:
            if problem is None:  # after a write failure, only drain the queue
                try:
                    tally.take(batch, redactor, writer, max_body)
                except CassetteError as exc:
                    problem = f"could not be written: {exc}"
    finally:
        try:
            writer.close()
        except CassetteError as exc:
            problem = problem or f"could not be written: {exc}"
        results.put((tally.finished(writer), problem))


def _refused(writer: CassetteWriter, skipped: Skipped) -> int:
    """How many appended exchanges the store refused (noted as skipped, without an entry)."""
    n = sum(writer.rejected.values())
    if n:
        skipped.append((-1, f"{n} exchange(s) refused by the store"))
    return n
