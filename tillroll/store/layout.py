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

import datetime as dt
import shutil
from pathlib import Path

WAL = "wal"
QUARANTINE = "quarantine"
ORDER = [("started_at", "ascending"), ("session_id", "ascending"), ("seq", "ascending")]


class CassetteError(Exception):
    """A cassette problem a user can act on; the message is one sentence with the fix."""


class CassetteFull(CassetteError):
    """The writer's queue is full and it was told not to wait."""


def quarantine(root: Path, path: Path, why: str | None) -> str:
    """Move *path* into ``quarantine/`` (never delete it); return a notice for the user."""
    qdir = root / QUARANTINE
    qdir.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = qdir / f"{path.name}.{stamp}.quarantined"
    shutil.move(str(path), target)
    return f"quarantined {path.relative_to(root)}: {why}; moved to {target.relative_to(root)}"
