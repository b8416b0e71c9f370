"""Reading a cassette: recovery on open, its files, its exchanges in recorded order.

Opening (:func:`open_local`) refuses a folder that is not a cassette (no ``tillroll.json``:
see :mod:`tillroll.store.manifest`) before touching anything, then recovers orphan segments
(their writer died) into Parquet; reading returns the exchanges in recorded order,
deduplicated by ``exchange_id``. A Parquet file of the cassette that cannot be read (damaged,
or written by another tool) stops a read with one sentence naming it; only a cassette opened
to repair it (``tillroll info``) moves such a file to ``quarantine/``. Where a cassette lives (a folder, or
``s3://``) is :mod:`tillroll.store.locations`' concern.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from . import parquet_files as pqf
from .exchange import (
    SCHEMA,
    Exchange,
    from_table,
)
from .layout import ORDER, WAL, CassetteError, quarantine
from .manifest import check_cassette
from .segment import SUFFIX, read_segment, try_lock

class DamagedFile(CassetteError):
    """A Parquet file of a cassette that cannot be read; the message names it and the fix."""


# -- reading --------------------------------------------------------------------------

@dataclasses.dataclass
class Cassette:
    """An opened cassette: what recovery did, and access to its exchanges."""

    root: Path  # on this machine (for a cassette on object storage: its local mirror)
    recovered: list[str] = dataclasses.field(default_factory=list)
    quarantined: list[str] = dataclasses.field(default_factory=list)
    location: str = ""  # what the user named: a path or an s3:// URL
    repair: bool = False  # move unreadable Parquet files to quarantine/ instead of refusing to read
    damaged: list[str] = dataclasses.field(default_factory=list)  # Parquet files quarantined by this opening

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
        (their complete batches) first. An unreadable Parquet file raises :class:`DamagedFile`
        (or, when opened to repair, is quarantined)."""
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
        """An unreadable Parquet file of this cassette: when opened to repair, move it into
        quarantine/ and note it for the user; otherwise stop with :class:`DamagedFile`."""
        if not self.repair:
            shown = path.relative_to(self.root) if path.is_relative_to(self.root) else path
            raise DamagedFile(f"cannot read {shown} in cassette {self.location}: {why}; `tillroll info "
                              f"{self.location}` moves it to the cassette's quarantine/ folder (kept, never deleted)")
        note = quarantine(self.root, path, why)
        self.damaged.append(note)
        self.quarantined.append(note)


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


def open_local(path: str | os.PathLike, *, recover: bool = True, repair: bool = False) -> Cassette:
    """Open the cassette folder at *path*, recovering orphan segments first; with *repair*,
    reading moves unreadable Parquet files to quarantine/.

    Raises :class:`~tillroll.store.manifest.NotACassette` when *path* is not a cassette,
    before anything in it is touched.
    """
    root = check_cassette(Path(path))
    cassette = Cassette(root, repair=repair)
    if recover:
        recover_segments(cassette)
    return cassette
