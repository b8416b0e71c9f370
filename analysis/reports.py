"""Named reports: the SQL lives in ``analysis/sql/reports/NAME.sql``; its first comment says what it is."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from .views import AnalysisError, arrow

REPORTS = Path(__file__).with_name("sql") / "reports"


def names() -> list[str]:
    return sorted(p.stem for p in REPORTS.glob("*.sql"))


def describe(name: str) -> str:
    """The report's first comment line (``usage: calls per vendor …``)."""
    first = _path(name).read_text().splitlines()[0]
    return first.lstrip("- ").strip()


def run(con: duckdb.DuckDBPyConnection, name: str) -> pa.Table:
    return arrow(con.sql(_path(name).read_text()))


def _path(name: str) -> Path:
    path = REPORTS / f"{name}.sql"
    if not path.exists():
        raise AnalysisError(f"no report named {name!r}; the reports are: {', '.join(names())}")
    return path
