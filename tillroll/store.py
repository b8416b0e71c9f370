"""The cassette store: crash-safe writing, recovery on open, reading in recorded order.

A cassette is a directory::

    CASSETTE/
      tillroll.json                      what this directory is (format, schema version)
      wal/<session>-<n>.arrows           write-ahead segments (Arrow IPC streams)
      date=2026-11-22/part-<id>.parquet  closed segments, rolled to Parquet (zstd)
      quarantine/                        files that could not be read, kept for forensics

Writing (:class:`CassetteWriter`): ``append`` only queues the exchange; a background
thread turns queued exchanges into record batches, appends them to the current segment
and flushes; a second thread rolls closed segments into Parquet. Several writers (processes)
can write into one cassette at once: every file name carries the writer's unique session id.

Reading (:func:`open_cassette`): orphan segments (their writer died) are recovered into
Parquet, what cannot be read is moved to ``quarantine/`` and reported, then the exchanges
are returned in recorded order, deduplicated by ``exchange_id``.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc

from . import parquet_files as pqf
from .exchange import SCHEMA, SCHEMA_VERSION, Exchange, from_table, new_exchange_id, rows_to_record_batch, to_row
from .segment import SUFFIX, SegmentWriter, iter_segment, read_segment, try_lock

MANIFEST = "tillroll.json"
FORMAT = "tillroll-cassette"
WAL = "wal"
QUARANTINE = "quarantine"
ORDER = [("started_at", "ascending"), ("session_id", "ascending"), ("seq", "ascending")]


class CassetteError(Exception):
    """A cassette problem a user can act on; the message is one sentence with the fix."""


class CassetteFull(CassetteError):
    """The writer's queue is full and it was told not to wait."""


# -- writing --------------------------------------------------------------------------

class CassetteWriter:
    """Appends exchanges to a cassette from any thread without blocking on disk.

    ``append`` assigns the identity columns (exchange id, cassette, session, seq) and
    queues the exchange. When ``max_pending`` exchanges are already queued (the disk
    cannot keep up) it waits, or with ``block_when_full=False`` raises
    :class:`CassetteFull` at once (a live proxy must not stall); either way memory is bounded. ``flush`` returns when
    everything appended so far is in the segment file. ``close`` also rolls the
    last segment into Parquet. A failure of the background writer is raised by the
    next ``append``/``flush``/``close`` as :class:`CassetteError`.

    One exchange never costs the others: a row Arrow refuses (it cannot happen to what
    :func:`~tillroll.capture.capture` returns, but a writer must not trust that) is left
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
        init_cassette(self.root)

        # Rows (tuples in schema order), not Exchange objects: the snapshot is one C call in
        # append(), and the writer thread only transposes and converts them.
        self._pending: collections.deque[tuple] = collections.deque()
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
            while len(self._pending) >= self._max_pending and self._failure is None:
                if not self._block_when_full:
                    raise CassetteFull(f"{self._max_pending} exchanges are waiting for the disk; this one was not recorded")
                self._cond.wait(0.1)
            if not exchange.exchange_id:
                exchange.exchange_id = new_exchange_id()
            exchange.cassette = self.name
            exchange.session_id = self.session_id
            exchange.seq = self._seq
            self._seq += 1
            self._pending.append(to_row(exchange))
            if len(self._pending) >= self._batch_rows:
                self._cond.notify_all()
        return exchange

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
                    if not self._pending and not self._closing:
                        self._cond.wait(self._flush_interval)
                    batch = [self._pending.popleft() for _ in range(min(len(self._pending), self._batch_rows))]
                    closing = self._closing and not self._pending
                if batch:
                    self._write_batch(batch)
                elif self._segment is not None and time.monotonic() - self._segment_started > self._segment_age:
                    self._close_segment()
                if closing and not batch:
                    break
            self._close_segment()
        except BaseException as exc:  # surfaced by the next append/flush/close
            self._fail(exc)

    def _write_batch(self, batch: list[tuple]) -> None:
        try:
            record_batch = rows_to_record_batch(batch)
        except _ROW_ERRORS:
            record_batch = self._without_refused(batch)
        if self._segment is None:
            self._open_segment()
        if record_batch.num_rows:
            self._segment.write(record_batch)
        with self._cond:
            self._written += record_batch.num_rows
            self._done += len(batch)
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


def init_cassette(root: Path) -> None:
    """Make *root* a cassette directory (idempotent; safe with concurrent writers)."""
    if root.exists() and not root.is_dir():
        raise CassetteError(f"{root} is a file, not a cassette directory: choose another path")
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / MANIFEST
    if manifest.exists():
        return
    tmp = root / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"format": FORMAT, "schema_version": SCHEMA_VERSION}, indent=2) + "\n")
    os.replace(tmp, manifest)


# -- reading --------------------------------------------------------------------------

@dataclasses.dataclass
class Cassette:
    """An opened cassette: what recovery did, and access to its exchanges."""

    root: Path  # on this machine (for a cassette on object storage: its local mirror)
    recovered: list[str] = dataclasses.field(default_factory=list)
    quarantined: list[str] = dataclasses.field(default_factory=list)
    location: str = ""  # what the user named: a path or an s3:// URL

    def __post_init__(self):
        self.location = self.location or str(self.root)

    @property
    def notices(self) -> list[str]:
        """What opening did, one sentence each, for the user."""
        return self.recovered + self.quarantined

    def parquet_files(self) -> list[Path]:
        return pqf.list_parquet(self.root)

    def live_segments(self) -> list[Path]:
        return sorted((self.root / WAL).glob(f"*{SUFFIX}"))

    def read_sources(self, columns: list[str]) -> list["Source"]:
        """*columns* of every file of the cassette, one table per file, live segments
        (their complete batches) first. Unreadable Parquet files are quarantined."""
        unknown = [c for c in columns if c not in SCHEMA.names]
        if unknown:
            raise CassetteError(f"unknown column(s) {', '.join(unknown)}: see `tillroll schema`")
        sources = []
        # Segments first, Parquet second: a segment rolled meanwhile shows up as Parquet.
        for seg in self.live_segments():
            try:
                contents = read_segment(seg)
            except FileNotFoundError:
                continue
            if contents.table is not None:
                sources.append(Source(None, contents.table.select(columns), contents.table))
        for path in self.parquet_files():
            try:
                sources.append(Source(path, pqf.read_file(path, columns)))
            except FileNotFoundError:  # merged by a concurrent compaction
                continue
            except pqf.UnreadableFile as exc:
                self.quarantine_file(path, str(exc))
        return sources

    def read_table(self, columns: list[str] | None = None) -> pa.Table:
        """All exchanges (or some columns of them) in recorded order, deduplicated,
        including the complete batches of live writers."""
        wanted = list(dict.fromkeys([*columns, "exchange_id", *(name for name, _ in ORDER)])) if columns \
            else SCHEMA.names
        tables = [source.table for source in self.read_sources(wanted)]
        table = pa.concat_tables(tables) if tables else SCHEMA.empty_table().select(wanted)
        table = in_order(dedupe(table))
        return table.select(columns) if columns else table

    def exchanges(self) -> list[Exchange]:
        return from_table(self.read_table())

    def quarantine_file(self, path: Path, why: str) -> None:
        """Move an unreadable file of this cassette into quarantine/ and note it for the user."""
        self.quarantined.append(quarantine(self.root, path, why))


def open_cassette(path: str | os.PathLike, *, recover: bool = True) -> Cassette:
    """Open the cassette at *path*, recovering orphan segments first.

    Raises :class:`CassetteError` when *path* is missing or is not a cassette. An
    ``s3://`` URL is read through this machine's mirror of it (:mod:`tillroll.remote`).
    """
    if str(path).startswith("s3://"):
        from .remote import mirror

        root, notices = mirror(str(path))
        return Cassette(root, recovered=notices, location=str(path))
    root = Path(path)
    if not root.exists():
        raise CassetteError(f"no cassette at {root}: check the path, or record one with `tillroll record {root}`")
    if not root.is_dir():
        raise CassetteError(f"{root} is a file, not a cassette directory: a cassette is a directory")
    if not (root / MANIFEST).exists() and not pqf.list_parquet(root) and not (root / WAL).is_dir():
        raise CassetteError(f"{root} is not a tillroll cassette (no {MANIFEST}): check the path")
    cassette = Cassette(root)
    if recover:
        recover_segments(cassette)
    return cassette


def open_writer(location: str | os.PathLike, **kwargs) -> "CassetteWriter":
    """A :class:`CassetteWriter` for a cassette folder or an ``s3://`` URL."""
    if str(location).startswith("s3://"):
        from .remote import open_writer as remote_writer

        return remote_writer(str(location), **kwargs)
    return CassetteWriter(location, **kwargs)


def recover_segments(cassette: Cassette) -> None:
    """Roll every orphan segment (its writer is gone) into Parquet, or quarantine it."""
    root = cassette.root
    for seg in cassette.live_segments():
        handle = try_lock(seg)
        if handle is None:
            continue  # a live writer owns it, or it was just rolled
        with handle:
            contents = read_segment(seg)
            if contents.table is None:
                cassette.quarantined.append(quarantine(root, seg, contents.problem))
                continue
            if contents.table.num_rows:
                pqf.write_partitioned(root, contents.table)
            if contents.complete:
                seg.unlink()
                cassette.recovered.append(
                    f"recovered {contents.table.num_rows} exchanges from {seg.relative_to(root)} "
                    "(its writer stopped before rolling it)"
                )
            else:
                note = quarantine(root, seg, contents.problem)
                cassette.recovered.append(
                    f"recovered {contents.table.num_rows} exchanges from {seg.relative_to(root)}, "
                    "everything before its truncated tail"
                )
                cassette.quarantined.append(note)


def quarantine(root: Path, path: Path, why: str | None) -> str:
    """Move *path* into ``quarantine/`` (never delete it); return a notice for the user."""
    qdir = root / QUARANTINE
    qdir.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = qdir / f"{path.name}.{stamp}.quarantined"
    shutil.move(str(path), target)
    return f"quarantined {path.relative_to(root)}: {why}; moved to {target.relative_to(root)}"


@dataclasses.dataclass
class Source:
    """One file of a cassette, read: its path (None for a live segment), the columns
    asked for and, for a live segment (read whole anyway), all of them."""

    path: Path | None
    table: pa.Table
    everything: pa.Table | None = None


def in_order(table: pa.Table) -> pa.Table:
    """*table* in recorded order; not copied when it already is (the common case: a
    copy of a million exchanges' bodies costs seconds and gigabytes)."""
    if table.num_rows < 2:
        return table
    indices = pc.sort_indices(table.select([name for name, _ in ORDER]), sort_keys=ORDER)
    if pc.all(pc.equal(indices, pa.array(range(table.num_rows), pa.uint64()))).as_py():
        return table
    return table.take(indices)


def dedupe(table: pa.Table) -> pa.Table:
    """Drop rows whose ``exchange_id`` was already seen (a roll or merge caught mid-way)."""
    ids = table["exchange_id"]
    if len(pc.unique(ids)) == table.num_rows:
        return table
    seen: set[str] = set()
    keep = []
    for value in ids.to_pylist():
        keep.append(value not in seen)
        seen.add(value)
    return table.filter(pa.array(keep))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} ({exc.filename})" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__
