"""Writing a cassette: :class:`CassetteWriter`, crash-safe and never blocking the caller.

``append`` only queues the exchange; a background thread turns queued exchanges into record
batches, appends them to the current write-ahead segment and flushes; a second thread rolls
closed segments into Parquet. With ``convert_on_append=True`` the thread that appends turns
each full batch of rows into a record batch itself, and the writer's thread only writes.
Several writers (processes) can write into one cassette at once: every file name carries
the writer's unique session id.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from pathlib import Path
from typing import Callable

import pyarrow as pa

from . import parquet_files as pqf
from .exchange import (
    SCHEMA,
    Exchange,
    new_exchange_id,
    rows_to_record_batch,
    to_row,
)
from .layout import WAL, CassetteError, CassetteFull
from .manifest import init_cassette
from .segment import SUFFIX, SegmentWriter, iter_segment


class CassetteWriter:
    """Appends exchanges to a cassette from any thread without blocking on disk.

    ``append`` assigns the identity columns (exchange id, cassette, session, seq) and
    queues the exchange. When ``max_pending`` exchanges are already queued (the disk
    cannot keep up) it waits, or with ``block_when_full=False`` raises
    :class:`CassetteFull` at once (a live proxy must not stall); either way memory is bounded. ``flush`` returns when
    everything appended so far is in the segment file. ``close`` also rolls the
    last segment into Parquet. A failure of the background writer is raised by the
    next ``append``/``flush``/``close`` as :class:`CassetteError`.

    ``convert_on_append=True`` is for a caller that appends as fast as it can from one busy
    thread (the recording proxy's capture worker): every ``batch_rows``-th ``append`` turns
    the batch into Arrow columns before it returns (milliseconds), instead of the writer's
    thread doing it. The work is the same and under the same GIL either way; done by the
    writer's thread, it is done in slices between which each thread waits up to the
    interpreter's switch interval for the GIL, and a busy appender left the writer so
    little of it that the queue filled and exchanges were dropped. The writer's thread then
    converts only rows that waited ``flush_interval`` (slow traffic) or that ``flush`` and
    ``close`` want written.

    One exchange never costs the others: a row Arrow refuses (it cannot happen to what
    :func:`~tillroll.capture.pipeline.capture` returns, but a writer must not trust that) is left
    out of its batch and counted in :attr:`rejected`; when the disk fails, what was
    flushed stays in its segment (recovered by the next open) and what was not is
    counted in :attr:`lost`. ``written`` is what is in the cassette's files.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        cassette: str | None = None,
        batch_rows: int = 1024,
        flush_interval: float = 0.2,
        segment_rows: int = 100_000,
        segment_bytes: int = 256 << 20,
        segment_age: float = 300.0,
        max_pending: int = 20_000,
        block_when_full: bool = True,
        fsync: bool = False,
        compression: str = pqf.COMPRESSION,
        on_roll: Callable[[list[Path]], None] | None = None,
        convert_on_append: bool = False,
    ):
        self.root = Path(path)
        self.name = cassette or self.root.resolve().name
        self.session_id = new_exchange_id()
        self._batch_rows = batch_rows
        self._flush_interval = flush_interval
        self._segment_rows, self._segment_bytes, self._segment_age = segment_rows, segment_bytes, segment_age
        self._max_pending = max_pending
        self._block_when_full = block_when_full
        self._fsync = fsync
        self._compression = compression
        self._on_roll = on_roll
        self._convert_on_append = convert_on_append
        init_cassette(self.root)

        # Rows (tuples in schema order), not Exchange objects: the snapshot is one C call in
        # append(), and the writer thread only transposes and converts them.
        self._pending: collections.deque[tuple] = collections.deque()
        self._pending_since = 0.0  # when the oldest row in _pending was appended
        # Record batches made, not yet written, with the count of rows each stands for
        # (refused rows included): written in order by the writer's thread.
        self._batches: collections.deque[tuple[pa.RecordBatch, int]] = collections.deque()
        self._queued = 0  # rows in _batches
        self._converting = 0  # rows taken from _pending and not yet in _batches
        self._convert_lock = threading.Lock()  # one conversion at a time: batches stay in order
        self._urgent = False  # flush() wants the rows in _pending written now
        self._cond = threading.Condition()
        self._seq = 0
        self._written = 0
        self._done = 0  # written or rejected: what flush() waits for
        #: rows left out, by (vendor, operation): refused by Arrow, or lost with the disk
        self.rejected: collections.Counter[tuple] = collections.Counter()
        self._closing = False
        self._failure: BaseException | None = None
        self._segment: SegmentWriter | None = None
        self._segment_started = 0.0
        self._segment_count = 0
        self._rolls: collections.deque[SegmentWriter] = collections.deque()
        self._roll_cond = threading.Condition()
        self.parquet_files: list[Path] = []
        self._writer = threading.Thread(target=self._write_loop, name="tillroll-writer", daemon=True)
        self._roller = threading.Thread(target=self._roll_loop, name="tillroll-roller", daemon=True)
        self._writer.start()
        self._roller.start()

    # the live path ---------------------------------------------------------------
    def append(self, exchange: Exchange) -> Exchange:
        """Queue *exchange* for writing; returns it with its identity columns set."""
        with self._cond:
            self._raise_failure()
            if self._closing:
                raise CassetteError(f"cassette {self.root} is closed: open a new writer")
            while self._waiting() >= self._max_pending and self._failure is None:
                if not self._block_when_full:
                    raise CassetteFull(f"{self._max_pending} exchanges are waiting for the disk; this one was not recorded")
                self._cond.wait(0.1)
            if not exchange.exchange_id:
                exchange.exchange_id = new_exchange_id()
            exchange.cassette = self.name
            exchange.session_id = self.session_id
            exchange.seq = self._seq
            self._seq += 1
            if not self._pending:
                self._pending_since = time.monotonic()
            self._pending.append(to_row(exchange))
            full = len(self._pending) >= self._batch_rows
            if full and not self._convert_on_append:
                self._cond.notify_all()
        if full and self._convert_on_append:
            self._convert()
        return exchange

    def _waiting(self) -> int:
        """Rows appended and not yet written (under ``_cond``)."""
        return len(self._pending) + self._converting + self._queued

    @property
    def appended(self) -> int:
        return self._seq

    @property
    def written(self) -> int:
        return self._written

    @property
    def lost(self) -> int:
        """Exchanges appended that are not in the cassette's files (refused rows, and after
        a disk failure everything not flushed). Exact once :meth:`close` has returned or raised."""
        return self._seq - self._written

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every exchange appended so far is in the segment file."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._seq
            self._urgent = True
            self._cond.notify_all()
            while self._done < target and self._failure is None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise CassetteError(f"flush of {self.root} timed out: the disk is not keeping up")
                self._cond.wait(0.05 if left is None else min(left, 0.05))
            self._raise_failure()

    def close(self) -> None:
        """Flush, close the current segment, roll it into Parquet and stop the threads."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._cond.notify_all()
        self._writer.join()
        with self._roll_cond:
            self._rolls.append(None)  # sentinel: no more segments
            self._roll_cond.notify_all()
        self._roller.join()
        self._raise_failure()

    def __enter__(self) -> "CassetteWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise CassetteError(
                f"writing to cassette {self.root} failed: {_describe(self._failure)}"
            ) from None

    # the writer thread -------------------------------------------------------------
    def _write_loop(self) -> None:
        try:
            while True:
                with self._cond:
                    if not self._batches and not self._rows_due() and not self._closing:
                        self._cond.wait(self._wait_time())
                    item = self._batches[0] if self._batches else None
                    convert = item is None and self._rows_due()
                    closing = (self._closing and item is None and not self._pending
                               and not self._converting)
                if item is not None:
                    self._write_batch(*item)
                elif convert:
                    self._convert()
                elif self._segment is not None and time.monotonic() - self._segment_started > self._segment_age:
                    self._close_segment()
                if closing:
                    break
            self._close_segment()
        except BaseException as exc:  # surfaced by the next append/flush/close
            self._fail(exc)

    def _rows_due(self) -> bool:
        """Whether the writer's thread should convert the rows in ``_pending`` now (under
        ``_cond``): always, unless the appender converts full batches itself; then only
        rows that waited a flush interval, or that flush() or close() wait for."""
        if not self._pending:
            return False
        return (not self._convert_on_append or self._urgent or self._closing
                or time.monotonic() - self._pending_since >= self._flush_interval)

    def _wait_time(self) -> float:
        """How long the writer's thread may sleep before rows in ``_pending`` are due."""
        if self._pending and self._convert_on_append:
            return max(0.001, self._pending_since + self._flush_interval - time.monotonic())
        return self._flush_interval

    def _convert(self) -> None:
        """Turn up to ``batch_rows`` queued rows into a record batch for the writer's thread.
        Called by the writer's thread, or by ``append`` with ``convert_on_append``."""
        try:
            with self._convert_lock:
                with self._cond:
                    rows = [self._pending.popleft() for _ in range(min(len(self._pending), self._batch_rows))]
                    self._converting = len(rows)
                    if not self._pending:
                        self._urgent = False
                    else:
                        self._pending_since = time.monotonic()
                if not rows:
                    return
                try:
                    record_batch = rows_to_record_batch(rows)
                except _ROW_ERRORS:
                    record_batch = self._without_refused(rows)
                with self._cond:
                    self._batches.append((record_batch, len(rows)))
                    self._queued += len(rows)
                    self._converting = 0
                    self._cond.notify_all()
        except BaseException as exc:  # the rows taken are lost: counted (lost), surfaced
            with self._cond:
                self._converting = 0
            self._fail(exc)

    def _write_batch(self, record_batch: pa.RecordBatch, rows: int) -> None:
        if self._segment is None:
            self._open_segment()
        if record_batch.num_rows:
            self._segment.write(record_batch)
        with self._cond:
            self._batches.popleft()
            self._queued -= rows
            self._written += record_batch.num_rows
            self._done += rows
            self._cond.notify_all()
        if (
            self._segment.rows >= self._segment_rows
            or self._segment.size >= self._segment_bytes
            or time.monotonic() - self._segment_started > self._segment_age
        ):
            self._close_segment()

    def _without_refused(self, batch: list[tuple]) -> pa.RecordBatch:
        """The rows of *batch* Arrow accepts, one by one; the others are counted."""
        good = []
        for row in batch:
            try:
                rows_to_record_batch([row])
            except _ROW_ERRORS:
                self.rejected[(row[_VENDOR], row[_OPERATION])] += 1
                continue
            good.append(row)
        return rows_to_record_batch(good)

    def _open_segment(self) -> None:
        wal = self.root / WAL
        wal.mkdir(parents=True, exist_ok=True)
        path = wal / f"{self.session_id}-{self._segment_count:06d}{SUFFIX}"
        self._segment_count += 1
        self._segment = SegmentWriter(path, fsync=self._fsync)
        self._segment_started = time.monotonic()

    def _close_segment(self) -> None:
        segment, self._segment = self._segment, None
        if segment is None:
            return
        # The file stays open (and locked) until the roller has rolled it, so no reader
        # "recovers" a segment that is about to become Parquet.
        with self._roll_cond:
            self._rolls.append(segment)
            self._roll_cond.notify_all()

    # the roller thread ----------------------------------------------------------------
    def _roll_loop(self) -> None:
        try:
            while True:
                with self._roll_cond:
                    while not self._rolls:
                        self._roll_cond.wait()
                    segment = self._rolls.popleft()
                if segment is None:
                    return
                segment.finish()
                try:
                    files = roll_segment(self.root, segment.path, compression=self._compression)
                finally:
                    segment.release()  # only now may a reader consider the segment orphaned
                self.parquet_files.extend(files)
                if self._on_roll is not None:
                    self._on_roll(files)
        except BaseException as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        with self._cond:
            if self._failure is None:
                self._failure = exc
            self._cond.notify_all()


# What converting a row can raise for a bad value (text Arrow cannot encode, a wrong type).
_ROW_ERRORS = (pa.ArrowException, UnicodeError, TypeError, ValueError, OverflowError)
_VENDOR, _OPERATION = SCHEMA.names.index("vendor"), SCHEMA.names.index("operation")


def roll_segment(root: Path, segment: Path, *, compression: str = pqf.COMPRESSION) -> list[Path]:
    """Turn a complete segment into Parquet files, then delete the segment.

    Streams: one record batch is in memory at a time, whatever the segment's size.
    """
    problems: list[str] = []
    files = pqf.write_partitioned_batches(root, iter_segment(segment, problems), compression=compression)
    if problems:  # our own, just-closed segment: a damaged one means the disk lied
        for f in files:
            f.unlink(missing_ok=True)
        raise CassetteError(f"segment {segment} is damaged: {problems[0]}")
    segment.unlink()
    return files


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} ({exc.filename})" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__
