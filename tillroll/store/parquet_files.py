"""Parquet files of a cassette: date partitions, atomic writes, validation.

A cassette directory holds a hive-partitioned Parquet dataset
(``date=YYYY-MM-DD/part-<uuid7>.parquet``), so DuckDB, Spark or pyarrow read it as is.
Files appear only by ``rename`` of a fully written, fsynced temporary file whose name
starts with a dot, so no reader (nor ``**/*.parquet``) ever sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .exchange import SCHEMA, SCHEMA_VERSION, SCHEMA_VERSION_KEY, new_exchange_id

PARTITION = "date"
COMPRESSION = "zstd"


class UnreadableFile(Exception):
    """A file in the cassette that cannot be read; the message says why."""


def partition_dir(root: Path, date: str) -> Path:
    return root / f"{PARTITION}={date}"


def list_parquet(root: Path) -> list[Path]:
    """Every visible Parquet file of the cassette, in name order."""
    return sorted(p for p in root.glob(f"{PARTITION}=*/*.parquet") if not p.name.startswith("."))


def split_by_date(table: pa.Table | pa.RecordBatch) -> dict[str, pa.Table | pa.RecordBatch]:
    """Rows of *table* grouped by the UTC date of ``started_at`` (no copy for one date)."""
    if table.num_rows == 0:
        return {}
    days = pc.cast(table["started_at"], pa.date32())
    bounds = pc.min_max(days).as_py()
    if bounds["min"] == bounds["max"]:
        return {bounds["min"].isoformat(): table}
    return {day.isoformat(): table.filter(pc.equal(days, day)) for day in pc.unique(days).to_pylist()}


def write_partitioned_batches(root: Path, batches, *, compression: str = COMPRESSION) -> list[Path]:
    """Stream record *batches* into one new file per date partition; return the files.

    Each file is written under a temporary name and renamed only when all are complete.
    """
    writers: dict[str, tuple[pq.ParquetWriter, Path, Path]] = {}
    try:
        for batch in batches:
            for date, part in split_by_date(batch).items():
                if date not in writers:
                    path = partition_dir(root, date) / f"part-{new_exchange_id()}.parquet"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_name(f".{path.name}.tmp")
                    writer = pq.ParquetWriter(tmp, SCHEMA, compression=compression)
                    writers[date] = (writer, tmp, path)
                writers[date][0].write_batch(part, row_group_size=64 * 1024)
        for writer, tmp, _ in writers.values():
            writer.close()
            fsync_path(tmp)
    except BaseException:
        for writer, tmp, _ in writers.values():
            try:
                writer.close()
            except Exception:
                pass
            tmp.unlink(missing_ok=True)
        raise
    written = []
    for _, tmp, path in writers.values():
        os.replace(tmp, path)
        fsync_path(path.parent)
        written.append(path)
    return sorted(written)


def write_partitioned(root: Path, table: pa.Table, *, compression: str = COMPRESSION) -> list[Path]:
    """Write *table* into its date partitions under *root*; return the new files."""
    return write_partitioned_batches(root, table.to_batches(), compression=compression)


def write_atomic(table: pa.Table, path: Path, *, compression: str = COMPRESSION) -> None:
    """Write *table* to *path* so that *path* is either absent or complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    table = table.replace_schema_metadata(SCHEMA.metadata)
    try:
        with open(tmp, "wb") as f:
            pq.write_table(table, f, compression=compression, row_group_size=64 * 1024)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def read_file(path: Path, columns: list[str] | None = None) -> pa.Table:
    """Read one Parquet file (or some of its columns), checked against our schema version."""
    pf = _open_checked(path)
    try:
        table = pf.read(columns=columns)
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        raise UnreadableFile(f"damaged Parquet data ({_first_line(exc)})") from None
    names = columns or SCHEMA.names
    return table.select(names).cast(pa.schema([SCHEMA.field(n) for n in names]))


def iter_file(path: Path, batch_rows: int = 1024) -> Iterator[pa.RecordBatch]:
    """The rows of one Parquet file, *batch_rows* at a time (bounded memory), checked
    like :func:`read_file`."""
    pf = _open_checked(path)
    schema = pa.schema([SCHEMA.field(n) for n in SCHEMA.names])
    try:
        for batch in pf.iter_batches(batch_size=batch_rows, columns=SCHEMA.names):
            yield batch.select(SCHEMA.names).cast(schema)
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        raise UnreadableFile(f"damaged Parquet data ({_first_line(exc)})") from None


def check_file(path: Path) -> None:
    """Raise :class:`UnreadableFile` unless *path* is a Parquet file tillroll wrote, of a
    schema version it reads (reads the footer only)."""
    _open_checked(path)


def _open_checked(path: Path) -> pq.ParquetFile:
    try:
        pf = pq.ParquetFile(path)
        meta = pf.schema_arrow.metadata or {}
        version = int(meta.get(SCHEMA_VERSION_KEY, b"0"))
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        raise UnreadableFile(f"not a readable Parquet file ({_first_line(exc)})") from None
    if version > SCHEMA_VERSION:
        raise UnreadableFile(
            f"written with schema version {version}; this tillroll reads up to "
            f"{SCHEMA_VERSION}: upgrade tillroll"
        )
    if version < 1:
        raise UnreadableFile("a Parquet file that tillroll did not write (no schema version)")
    return pf


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (a rename is durable once its directory is synced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:160]
