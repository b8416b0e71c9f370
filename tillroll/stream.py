"""A cassette's exchanges one at a time, in recorded order, in bounded memory.

:meth:`~tillroll.store.Cassette.read_table` holds the whole cassette; exporting a
million exchanges must not. Each file is read a batch at a time (a file is in recorded
order: one writer appended it, or compaction merged it sorted) and the files are merged.
"""

from __future__ import annotations

import heapq
from typing import Iterator

import pyarrow as pa

from . import parquet_files as pqf
from .exchange import Exchange, from_rows
from .segment import read_segment
from .store import Cassette

BATCH_ROWS = 1024


def iter_exchanges(cassette: Cassette, *, batch_rows: int = BATCH_ROWS) -> Iterator[Exchange]:
    """Every exchange of *cassette* in recorded order (started_at, writer session, seq),
    each once (a row caught in two files by a concurrent roll or merge is skipped)."""
    sources = [_segment_rows(path) for path in cassette.live_segments()]
    sources += [_file_rows(cassette, path, batch_rows) for path in cassette.parquet_files()]
    previous = None
    for _, ex in heapq.merge(*sources, key=lambda item: item[0]):
        if ex.exchange_id != previous:
            yield ex
        previous = ex.exchange_id


def _keyed(batch: pa.RecordBatch | pa.Table) -> Iterator[tuple[tuple, Exchange]]:
    for ex in from_rows(batch.to_pylist()):
        yield (ex.started_at, ex.session_id, ex.seq, ex.exchange_id), ex


def _segment_rows(path) -> Iterator[tuple[tuple, Exchange]]:
    try:
        contents = read_segment(path)
    except FileNotFoundError:  # rolled meanwhile: its rows are in a Parquet file now
        return
    if contents.table is not None:
        yield from _keyed(contents.table)


def _file_rows(cassette: Cassette, path, batch_rows: int) -> Iterator[tuple[tuple, Exchange]]:
    try:
        for batch in pqf.iter_file(path, batch_rows):
            yield from _keyed(batch)
    except FileNotFoundError:  # merged by a concurrent compaction
        return
    except pqf.UnreadableFile as exc:
        cassette._quarantine(path, str(exc))
