"""Capture imported entries on every core.

Decoding and redaction (:func:`~tillroll.capture.pipeline.capture`) is most of an import's cost and
runs one entry at a time in Python, so a big file is spread over worker processes: the
parent reads the file and hands out batches of raw exchanges through a bounded queue
(memory stays bounded however big the file), and each worker captures its batches and
appends them with its own writer into the same staging cassette (the store takes several
writers). Recorded order is by ``started_at``, so it does not matter who wrote what.
"""

from __future__ import annotations

import multiprocessing
import queue
from pathlib import Path
from typing import Iterable

from tillroll.capture import DEFAULT_MAX_BODY
from tillroll.capture import capture_keyed
from tillroll.capture import Policy
from tillroll.capture import RawExchange
from tillroll.capture import Redactor
from tillroll.store import CassetteError, CassetteWriter

BATCH = 256
Skipped = list[tuple[int, str]]


class WorkerFailed(Exception):
    """A worker process died or could not write: the file is not imported."""


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
        self._stored, self._skipped = 0, []

    def submit(self, batch: list[tuple[int, RawExchange]]) -> None:
        try:
            self._stored += capture_batch(batch, self._redactor, self._writer, self._skipped, self._max_body)
        except CassetteError as exc:
            raise WorkerFailed(f"could not be written: {exc}") from None

    def finish(self) -> tuple[int, Skipped]:
        try:
            self._writer.close()
        except CassetteError as exc:
            raise WorkerFailed(f"could not be written: {exc}") from None
        return self._stored - _refused(self._writer, self._skipped), self._skipped

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

    def submit(self, batch: list[tuple[int, RawExchange]]) -> None:
        while True:
            try:
                self._inbox.put(batch, timeout=1.0)
                return
            except queue.Full:
                self._check_alive()

    def finish(self) -> tuple[int, Skipped]:
        """Let the workers drain the queue and close their writers; their counts."""
        for _ in self._procs:
            self.submit(None)  # type: ignore[arg-type]
        stored, skipped, problems = 0, [], []
        for _ in self._procs:
            while True:
                try:
                    n, s, problem = self._results.get(timeout=1.0)
                    break
                except queue.Empty:
                    self._check_alive()
            stored += n
            skipped += s
            if problem:
                problems.append(problem)
        for proc in self._procs:
            proc.join(30)
        if problems:
            raise WorkerFailed(problems[0])
        return stored, sorted(skipped)

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
    stored, skipped, problem = 0, [], None
    writer = CassetteWriter(staging, cassette=name)
    try:
        while (batch := inbox.get()) is not None:
            if problem is None:  # after a write failure, only drain the queue
                try:
                    stored += capture_batch(batch, redactor, writer, skipped, max_body)
                except CassetteError as exc:
                    problem = f"could not be written: {exc}"
    finally:
        try:
            writer.close()
        except CassetteError as exc:
            problem = problem or f"could not be written: {exc}"
        stored -= _refused(writer, skipped)
        results.put((stored, skipped, problem))


def _refused(writer: CassetteWriter, skipped: Skipped) -> int:
    """How many appended exchanges the store refused (noted as skipped, without an entry)."""
    n = sum(writer.rejected.values())
    if n:
        skipped.append((-1, f"{n} exchange(s) refused by the store"))
    return n
