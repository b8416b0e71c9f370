"""Write-ahead segments: Arrow IPC streams that a crash cannot corrupt beyond their tail.

A live writer appends record batches to one segment at a time and flushes after each
batch, so everything before a crash is readable. The writer holds an exclusive
``flock`` on its segment for as long as the segment is open; the kernel releases it
when the process dies, however it dies. That is how a reader tells a live segment
(locked: read what is complete, touch nothing) from an orphan (unlocked: recover it).
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
from pathlib import Path

import pyarrow as pa

from .exchange import SCHEMA

SUFFIX = ".arrows"


class SegmentWriter:
    """Appends record batches to a new segment file and keeps it locked until closed."""

    def __init__(self, path: Path, *, fsync: bool = False):
        self.path = path
        self.rows = 0
        self._fsync = fsync
        # Create under a hidden name, lock, then rename: a recovering reader never sees
        # the segment unlocked between its creation and our lock.
        hidden = path.with_name("." + path.name + ".new")
        self._file = open(hidden, "xb")  # holds the lock; never written through
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(hidden, path)
        # Written through Arrow's own file, not the Python one: through a Python file every
        # buffer of a batch (a hundred and more) is a Python call, and each takes the GIL
        # back from the thread that captures, waiting up to a switch interval for it.
        self._sink = pa.BufferedOutputStream(pa.OSFile(str(path), "a"), 1 << 20)
        self._stream = pa.ipc.new_stream(self._sink, SCHEMA)
        self._sink.flush()

    @property
    def size(self) -> int:
        return self._sink.tell()

    def write(self, batch: pa.RecordBatch) -> None:
        """Append *batch* and hand it to the OS (and the disk, with ``fsync=True``)."""
        self._stream.write_batch(batch)
        self._sink.flush()
        if self._fsync:
            os.fsync(self._file.fileno())
        self.rows += batch.num_rows

    def finish(self) -> None:
        """Write the end-of-stream marker and fsync; the file stays open and locked."""
        self._stream.close()
        self._sink.flush()
        os.fsync(self._file.fileno())

    def release(self) -> None:
        """Close the file, releasing the lock (after the segment was rolled and deleted)."""
        self._sink.close()
        self._file.close()


@dataclasses.dataclass
class SegmentContents:
    """What could be read from a segment: the complete batches, and what was not."""

    table: pa.Table | None
    complete: bool  # the stream ended with its end-of-stream marker or a clean EOF
    problem: str | None = None  # why reading stopped early, in one sentence


def iter_segment(path: Path, problems: list[str]):
    """Yield the complete record batches of *path*; append to *problems* why reading
    stopped early, if it did (a truncated tail, or not an Arrow stream of our schema)."""
    with open(path, "rb") as f:
        try:
            reader = pa.ipc.open_stream(f)
        except (pa.ArrowInvalid, OSError, ValueError) as exc:
            problems.append(f"not an Arrow IPC stream ({_short(exc)})")
            return
        if not reader.schema.equals(SCHEMA, check_metadata=False):
            problems.append("an Arrow stream with another schema")
            return
        rows = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, OSError, ValueError) as exc:
                problems.append(f"truncated after {rows} rows ({_short(exc)})")
                return
            rows += batch.num_rows
            yield batch


def read_segment(path: Path) -> SegmentContents:
    """Read every complete record batch of *path*; never raises for bad content.

    A truncated tail (a crash mid-write) ends the read: the batches before it are
    returned with ``complete=False``. A file that does not even start as an Arrow
    stream of our schema gives ``table=None``.
    """
    problems: list[str] = []
    batches = list(iter_segment(path, problems))
    if problems and not batches and not problems[0].startswith("truncated"):
        return SegmentContents(None, False, problems[0])
    table = pa.Table.from_batches(batches, schema=SCHEMA)
    return SegmentContents(table, not problems, problems[0] if problems else None)


def try_lock(path: Path):
    """Open and lock *path* if no live writer holds it; return the open file or None.

    Also returns None when the file vanished or was replaced meanwhile (its writer
    finished rolling it), so an already-rolled segment is never recovered twice.
    """
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    try:
        same = os.stat(path).st_ino == os.fstat(f.fileno()).st_ino
    except FileNotFoundError:
        same = False
    if not same:
        f.close()
        return None
    return f


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
