"""A cassette's exchanges one at a time, in recorded order, in bounded memory.

:meth:`~tillroll.store.cassette.Cassette.read_table` holds the whole cassette; exporting a
million exchanges must not. Each file is read a batch at a time when it is in recorded
order (compaction writes them sorted; a writer's rolled file usually is), sorted whole when
it is not, and the files whose times overlap are merged.
"""

from __future__ import annotations

import heapq
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import parquet_files as pqf
from .cassette import Cassette, in_order
from .exchange import Exchange, from_rows
from .layout import ORDER
from .segment import read_segment

BATCH_ROWS = 1024


def iter_exchanges(cassette: Cassette, *, batch_rows: int = BATCH_ROWS) -> Iterator[Exchange]:
    """Every exchange of *cassette* in recorded order (started_at, writer session, seq),
    each once (a row caught in two files by a concurrent roll or merge is skipped).

    Only files whose time spans overlap are merged with each other (read from the Parquet
    footers): a cassette of a hundred days holds one day's files open at a time, not all."""
    previous = None
    for group in _overlapping(cassette):
        sources = [_segment_rows(path) if path.suffix != ".parquet" else _file_rows(cassette, path, batch_rows)
                   for path, _, _ in group]
        for _, ex in heapq.merge(*sources, key=lambda item: item[0]):
            if ex.exchange_id != previous:
                yield ex
            previous = ex.exchange_id


def _overlapping(cassette: Cassette) -> Iterator[list[tuple[Path, Any, Any]]]:
    """The cassette's files in groups whose [first, last] started_at overlap, in time order.
    Live segments have no footer: they go into the last group (they are the newest)."""
    spans = sorted((_span(path) for path in cassette.parquet_files()), key=lambda s: (s[1] is None, s[1] or 0))
    group: list = []
    end = None
    for span in spans:
        path, first, last = span
        if group and (first is None or end is None or first > end):
            yield group
            group, end = [], None
        group.append(span)
        end = last if end is None or last is None else max(end, last)
    group += [(path, None, None) for path in cassette.live_segments()]
    if group:
        yield group


def _span(path: Path) -> tuple[Path, Any, Any]:
    """``(path, first started_at, last started_at)`` from the footer; Nones when unknown."""
    try:
        meta = pq.ParquetFile(path).metadata
        column = meta.schema.to_arrow_schema().get_field_index("started_at")
        if column < 0:  # not a file of ours: read_file says so, in order
            return path, None, None
        stats = [meta.row_group(i).column(column).statistics for i in range(meta.num_row_groups)]
        if not stats or not all(s is not None and s.has_min_max for s in stats):
            return path, None, None
        return path, min(s.min for s in stats), max(s.max for s in stats)
    except (OSError, pa.ArrowInvalid):
        return path, None, None  # read_file says what is wrong with it, in order


def _keyed(batch: pa.RecordBatch | pa.Table) -> Iterator[tuple[tuple, Exchange]]:
    for ex in from_rows(batch.to_pylist()):
        yield (ex.started_at, ex.session_id, ex.seq, ex.exchange_id), ex


def _segment_rows(path) -> Iterator[tuple[tuple, Exchange]]:
    try:
        contents = read_segment(path)
    except FileNotFoundError:  # rolled meanwhile: its rows are in a Parquet file now
        return
    if contents.table is not None:
        yield from _keyed(in_order(contents.table))


def _file_rows(cassette: Cassette, path, batch_rows: int) -> Iterator[tuple[tuple, Exchange]]:
    """The rows of one file in recorded order. A writer appends exchanges as they complete,
    so a rolled file is in time order only when its exchanges did not overlap (an import of
    an unsorted HAR, or concurrent requests, break it); compacted files are sorted. A file
    in order is streamed; one that is not is sorted whole (bounded by a segment's size)."""
    try:
        keys = pqf.read_file(path, [name for name, _ in ORDER])
        order = pc.sort_indices(keys, sort_keys=ORDER)
        if pc.all(pc.equal(order, pa.array(range(keys.num_rows), pa.uint64()))).as_py() is not False:
            for batch in pqf.iter_file(path, batch_rows):
                yield from _keyed(batch)
            return
        table = pqf.read_file(path).take(order)
        for start in range(0, table.num_rows, batch_rows):
            yield from _keyed(table.slice(start, batch_rows))
    except FileNotFoundError:  # merged by a concurrent compaction
        return
    except pqf.UnreadableFile as exc:
        cassette.quarantine_file(path, str(exc))
