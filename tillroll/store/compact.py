"""Compaction: merge a cassette's small Parquet files, safely while writers run.

Writers only ever add new files, so compaction works on the files it listed at the
start and nothing else: it writes the merged file (atomically), and only then deletes
its inputs. A crash in between leaves duplicates, never a loss; readers drop duplicates
by ``exchange_id`` and the next compaction removes them. Two compactions of one cassette
do not run at once (an ``flock`` on ``.compact.lock``).

For a cassette on object storage (``s3://``) the files are merged on this machine's
mirror, and the merged file is uploaded before its inputs are deleted from the bucket:
two compactions on two machines at once leave duplicates at worst, never a loss.
"""

from __future__ import annotations

import dataclasses
import fcntl
import time
from pathlib import Path
from typing import Callable

import pyarrow as pa

from . import parquet_files as pqf
from .cassette import dedupe
from .exchange import new_exchange_id
from .layout import ORDER, CassetteError
from .locations import open_cassette

LOCK = ".compact.lock"
STALE_TMP_SECONDS = 3600


@dataclasses.dataclass
class CompactResult:
    files_before: int
    files_after: int
    rows: int
    duplicates_dropped: int
    notices: list[str]


def compact_cassette(
    path: str | Path,
    *,
    target_rows: int = 1_000_000,
    progress: Callable[[str], None] | None = None,
) -> CompactResult:
    """Merge each date partition's files into as few files of ≤ *target_rows* rows as possible."""
    cassette = open_cassette(path)
    root = cassette.root  # for an s3:// cassette, the local mirror: merged there, then uploaded
    remote = str(path).startswith("s3://")
    if remote:
        from .remote import publish, remove
    with open(root / LOCK, "a") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CassetteError(f"another `tillroll compact` is running on {root}: wait for it to finish") from None
        _remove_stale_temporaries(root)
        files = cassette.parquet_files()
        for f in files:  # a file it cannot read stops it before anything is merged
            try:
                pqf.check_file(f)
            except pqf.UnreadableFile as exc:
                cassette.quarantine_file(f, str(exc))
        by_partition: dict[Path, list[Path]] = {}
        for f in files:
            by_partition.setdefault(f.parent, []).append(f)
        rows = dropped = after = 0
        notices = list(cassette.notices)
        for partition, inputs in sorted(by_partition.items()):
            if progress:
                progress(partition.name)
            tables = []
            readable = []
            for f in inputs:
                try:
                    tables.append(pqf.read_file(f))
                    readable.append(f)
                except pqf.UnreadableFile as exc:  # refused, named: `tillroll info` quarantines it
                    cassette.quarantine_file(f, str(exc))
            if len(readable) <= 1 and not _has_duplicates(tables):
                after += len(readable)
                rows += sum(t.num_rows for t in tables)
                continue
            merged = pa.concat_tables(tables)
            unique = dedupe(merged).sort_by(ORDER)
            dropped += merged.num_rows - unique.num_rows
            rows += unique.num_rows
            written = []
            for start in range(0, max(unique.num_rows, 1), target_rows):
                chunk = unique.slice(start, target_rows)
                written.append(partition / f"part-{new_exchange_id()}.parquet")
                pqf.write_atomic(chunk, written[-1])
                after += 1
            if remote:  # the merged files are in the bucket before any input leaves it
                publish(str(path), root, written)
                remove(str(path), root, readable)
            for f in readable:  # only after every merged file is in place
                f.unlink(missing_ok=True)
            pqf.fsync_path(partition)
    return CompactResult(len(files), after, rows, dropped, notices)


def _has_duplicates(tables: list[pa.Table]) -> bool:
    return any(dedupe(t).num_rows != t.num_rows for t in tables)


def _remove_stale_temporaries(root: Path) -> None:
    """Delete temporary files left by crashed writes (old enough that no writer owns them)."""
    cutoff = time.time() - STALE_TMP_SECONDS
    for tmp in root.glob(f"{pqf.PARTITION}=*/.*.tmp"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except FileNotFoundError:
            pass
