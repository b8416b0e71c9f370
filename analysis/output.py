"""Query results as a table, CSV, JSON or Markdown, for a terminal or a file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pyarrow as pa

FORMATS = ("table", "csv", "json", "markdown")


def render(table: pa.Table, fmt: str = "table", max_width: int = 60) -> str:
    rows = table.to_pylist()
    names = table.column_names
    if fmt == "json":
        return json.dumps(rows, default=_json_default, ensure_ascii=False, indent=1)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([[_text(r[n], None) for n in names] for r in rows])
        return out.getvalue()
    cells = [[_text(r[n], max_width if fmt == "table" else None) for n in names] for r in rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max([len(n)] + [len(row[i]) for row in cells]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _text(value, max_width: int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ", timespec="seconds")
    elif isinstance(value, float):
        text = f"{value:.3f}".rstrip("0").rstrip(".")
    else:
        text = str(value)
    if max_width and len(text) > max_width:
        text = text[: max_width - 1] + "…"
    return text


def _json_default(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return str(value)
