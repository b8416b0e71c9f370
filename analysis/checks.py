"""Vendor rules that recorded traffic can break, one SQL file each (``analysis/sql/checks``).

Each file starts with ``-- rule: NAME`` and ``-- doc: WHERE THE RULE IS DOCUMENTED`` and
selects the offending exchanges: ``exchange_id, started_at, vendor, operation, detail``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

CHECKS = Path(__file__).with_name("sql") / "checks"


@dataclass(frozen=True)
class Check:
    rule: str
    doc: str
    sql: str


@dataclass(frozen=True)
class Finding:
    rule: str
    doc: str
    exchange_id: str
    started_at: object
    vendor: str
    operation: str | None
    detail: str


def load() -> list[Check]:
    out = []
    for path in sorted(CHECKS.glob("*.sql")):
        text = path.read_text()
        head = dict(line[3:].split(":", 1) for line in text.splitlines() if line.startswith("-- ") and ":" in line
                    and line[3:].split(":", 1)[0] in ("rule", "doc"))
        out.append(Check(head.get("rule", path.stem).strip(), head.get("doc", "").strip(), text))
    return out


def run(con: duckdb.DuckDBPyConnection, checks: list[Check] | None = None) -> list[Finding]:
    findings = []
    for check in checks or load():
        for row in con.sql(check.sql).fetchall():
            findings.append(Finding(check.rule, check.doc, *row))
    return sorted(findings, key=lambda f: (str(f.started_at), f.rule))
