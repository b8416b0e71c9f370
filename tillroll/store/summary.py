"""What a cassette holds, in numbers: the model behind `tillroll info`."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pyarrow.compute as pc

from .cassette import Cassette

_COLUMNS = ["started_at", "vendor", "operation", "outcome", "status"]


@dataclasses.dataclass
class Summary:
    path: str
    exchanges: int
    first: dt.datetime | None
    last: dt.datetime | None
    vendors: dict[str, int]
    operations: dict[str, int]  # "vendor operation" -> count
    outcomes: dict[str, int]
    parquet_files: int
    live_segments: int
    size_bytes: int
    notices: list[str]

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        data["first"] = self.first.isoformat() if self.first else None
        data["last"] = self.last.isoformat() if self.last else None
        return data


def summarize(cassette: Cassette) -> Summary:
    table = cassette.read_table(_COLUMNS)
    files = cassette.parquet_files()
    segments = cassette.live_segments()
    size = sum(_size(p) for p in files + segments)
    first = last = None
    if table.num_rows:
        bounds = pc.min_max(table["started_at"]).as_py()
        first, last = bounds["min"], bounds["max"]
    vendors = _counts(table["vendor"].to_pylist())
    ops = _counts(f"{v or '-'} {o or '-'}" for v, o in zip(table["vendor"].to_pylist(), table["operation"].to_pylist()))
    return Summary(
        path=cassette.location, exchanges=table.num_rows, first=first, last=last,
        vendors=vendors, operations=ops, outcomes=_counts(table["outcome"].to_pylist()),
        parquet_files=len(files), live_segments=len(segments), size_bytes=size,
        notices=list(cassette.notices),
    )


def format_summary(s: Summary) -> str:
    lines = [
        f"cassette    {s.path}",
        f"exchanges   {s.exchanges}",
        f"time span   {_ts(s.first)} .. {_ts(s.last)}" if s.first else "time span   (empty)",
        f"files       {s.parquet_files} parquet, {s.live_segments} write-ahead segment(s), {_human(s.size_bytes)}",
        "outcomes    " + (", ".join(f"{k} {v}" for k, v in sorted(s.outcomes.items())) or "-"),
    ]
    if s.vendors:
        lines.append("vendors     " + ", ".join(f"{k} {v}" for k, v in sorted(s.vendors.items(), key=_by_count)))
        lines.append("operations")
        width = max(len(k) for k in s.operations)
        for op, n in sorted(s.operations.items(), key=_by_count):
            lines.append(f"  {op:<{width}}  {n:>8}")
    for notice in s.notices:
        lines.append(f"note: {notice}")
    return "\n".join(lines)


def _counts(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        key = v if v is not None else "-"
        out[key] = out.get(key, 0) + 1
    return out


def _by_count(item):
    return (-item[1], item[0])


def _size(path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _ts(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
