"""What one page of a cassette shows (``tillroll html``), gathered from the views and reports.

Everything is computed in DuckDB over the same views the reports and checks use: the
outcomes per vendor, the operations table, the timeline's buckets, SPOT sessions (the
``sessions`` report), SpotOn windows and the ``gaps`` report, the findings of ``check``.
Exchanges are carried in full only up to a bound: every one that did not end ok, and a
sample of the rest per operation; the page says how many it left out. Rendering is
:mod:`tillroll.analysis.page_html`'s concern.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

from . import checks as checks_mod
from . import reports as reports_mod
from .views import arrow

SQL = Path(__file__).with_name("sql") / "page"
PER_OPERATION = 100  # ok exchanges carried in full per operation
FAILURES_IN_FULL = 100  # failures carried in full per operation; every other failure is listed without bodies
FINDINGS_LISTED = 200  # findings listed one by one (all of them are counted per rule)
BUCKETS = (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 86400)
TIMELINE_BARS = 120  # about this many buckets across the span


@dataclasses.dataclass
class Page:
    cassettes: list[str]
    first: dt.datetime | None
    last: dt.datetime | None
    exchanges: int
    spot_sessions: int
    outcomes: list[dict]
    operations: list[dict]
    bucket_seconds: int
    timeline: list[dict]
    sessions: list[dict]  # SPOT sessions (the sessions report)
    flows: list[dict]  # Spoonity orders and their voids, XGL transactions (sql/page/flows.sql)
    windows: list[dict]
    gaps: list[dict]
    findings: list[checks_mod.Finding]  # the first FINDINGS_LISTED, in time order
    findings_by_rule: dict[str, int]  # every finding, counted
    details: list[dict]  # the exchanges carried, oldest first ("full": with headers and bodies)

    @property
    def left_out(self) -> int:
        return self.exchanges - len(self.details)

    @property
    def in_full(self) -> int:
        return sum(1 for x in self.details if x["full"])

    @property
    def vendors(self) -> list[str]:
        return [row["vendor"] for row in self.outcomes]


def bucket_for(seconds: float) -> int:
    """The timeline's bucket: the smallest round length giving at most ~TIMELINE_BARS bars."""
    return next((b for b in BUCKETS if seconds / b <= TIMELINE_BARS), BUCKETS[-1])


def gather(con: duckdb.DuckDBPyConnection, cassettes: list[str], *, per_operation: int = PER_OPERATION,
           failures_in_full: int = FAILURES_IN_FULL) -> Page:
    """The page's contents from a connection with the views defined (:func:`views.connect`)."""
    exchanges, first, last = con.sql("SELECT count(*), min(started_at), max(started_at) FROM exchanges").fetchall()[0]
    span = (last - first).total_seconds() if first and last else 0.0
    bucket = bucket_for(span)
    outcomes = _rows(con, "outcomes")
    counted, findings = checks_mod.tally(con, listed=FINDINGS_LISTED)
    return Page(
        cassettes=list(cassettes), first=first, last=last, exchanges=exchanges,
        spot_sessions=con.sql("SELECT count(DISTINCT session) FROM spot WHERE session IS NOT NULL").fetchall()[0][0],
        outcomes=outcomes, operations=_rows(con, "operations"), bucket_seconds=bucket,
        timeline=_rows(con, "timeline", bucket=bucket),
        sessions=reports_mod.run(con, "sessions").to_pylist(), flows=_rows(con, "flows"),
        windows=_rows(con, "windows"),
        gaps=reports_mod.run(con, "gaps").to_pylist(),
        findings=findings, findings_by_rule=counted,
        details=_rows(con, "exchanges", per_operation=per_operation, failures_in_full=failures_in_full),
    )


def _rows(con: duckdb.DuckDBPyConnection, name: str, **numbers: int) -> list[dict]:
    """The rows of ``sql/page/NAME.sql``; *numbers* fill its ``{placeholders}`` (integers only)."""
    text = (SQL / f"{name}.sql").read_text()
    if numbers:
        text = text.format(**{k: int(v) for k, v in numbers.items()})
    table: pa.Table = arrow(con.sql(text))
    return table.to_pylist()
