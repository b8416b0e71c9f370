"""Vendor rules that recorded traffic can break, one SQL file each (``analysis/sql/checks``).

Each file starts with ``-- rule: NAME``, ``-- doc: WHERE THE RULE IS DOCUMENTED`` (with a
short quote) and ``-- severity: error`` (a hard rule the vendor states) or ``warning``
(guidance: polling cadence, recommended practice), and selects the offending exchanges:
``exchange_id, started_at, vendor, operation, detail``. ``analysis/RULES.md`` lists every
documented rule and the check that covers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

CHECKS = Path(__file__).with_name("sql") / "checks"


SEVERITIES = ("error", "warning")  # most severe first


@dataclass(frozen=True)
class Check:
    rule: str
    doc: str
    sql: str
    severity: str = "error"


@dataclass(frozen=True)
class Finding:
    rule: str
    doc: str
    severity: str
    exchange_id: str
    started_at: object
    vendor: str
    operation: str | None
    detail: str


def load(severity: str = "warning") -> list[Check]:
    """Every check, or with *severity* ``error`` only the hard rules."""
    out = []
    for path in sorted(CHECKS.glob("*.sql")):
        text = path.read_text()
        head = dict(line[3:].split(":", 1) for line in text.splitlines() if line.startswith("-- ") and ":" in line
                    and line[3:].split(":", 1)[0] in ("rule", "doc", "severity"))
        level = head.get("severity", "error").strip()
        if level not in SEVERITIES:
            raise ValueError(f"{path.name}: severity must be one of {', '.join(SEVERITIES)}, not {level!r}")
        if SEVERITIES.index(level) <= SEVERITIES.index(severity):
            out.append(Check(head.get("rule", path.stem).strip(), head.get("doc", "").strip(), text, level))
    return out


def tally(con: duckdb.DuckDBPyConnection, checks: list[Check] | None = None, *,
          listed: int = 200) -> tuple[dict[str, int], list[Finding]]:
    """Every rule's number of findings, and the first *listed* findings in time order: for a
    page of a big cassette, where a million findings would not be read one by one."""
    counted: dict[str, int] = {}
    findings: list[Finding] = []
    for check in load() if checks is None else checks:
        sql = check.sql.strip().rstrip(";")
        rows = con.sql(f"SELECT *, count(*) OVER () FROM ({sql}) ORDER BY 2 LIMIT {int(listed)}").fetchall()  # 2: started_at
        if rows:
            counted[check.rule] = rows[0][-1]
            findings += [Finding(check.rule, check.doc, check.severity, *row[:-1]) for row in rows]
    return counted, sorted(findings, key=lambda f: (str(f.started_at), f.rule))[:listed]


def run(con: duckdb.DuckDBPyConnection, checks: list[Check] | None = None) -> list[Finding]:
    findings = []
    for check in load() if checks is None else checks:
        for row in con.sql(check.sql).fetchall():
            findings.append(Finding(check.rule, check.doc, check.severity, *row))
    return sorted(findings, key=lambda f: (str(f.started_at), f.rule))
