"""DuckDB over cassettes: the ``exchanges`` view and the per-vendor views.

    con = connect(["cassettes/pos-day"])       # directories, globs, or several of each
    con.sql("SELECT vendor, count(*) FROM exchanges GROUP BY ALL")

``exchanges`` holds every column of the stored record (``tillroll schema``) plus ``date``
(the partition). ``spot``, ``spoton``, ``xgl`` and ``spoonity`` expose the decoded fields
(analysis/sql/views.sql). Exchanges still in a live writer's write-ahead segments are
not visible until rolled into Parquet (the writer closes, or ``tillroll compact``).
"""

from __future__ import annotations

import glob
from pathlib import Path

import duckdb

from tillroll.store.objectstore import is_remote
from tillroll.store import CassetteError, open_cassette

SQL = Path(__file__).with_name("sql")


class AnalysisError(Exception):
    """Bad input for an analysis: one sentence with the fix."""


def parquet_sources(cassettes: list[str | Path]) -> list[str]:
    """The Parquet files of *cassettes* (directories or globs); a clear error when there are none."""
    if not cassettes:
        raise AnalysisError("no cassette given: name one or more cassette directories (or globs)")
    files: list[str] = []
    for item in map(str, cassettes):
        if is_remote(item):  # read through this machine's mirror of it
            try:
                root = open_cassette(item).root
            except CassetteError as exc:
                raise AnalysisError(str(exc)) from None
            found = _files(root)
            if not found:
                raise AnalysisError(f"{item} holds no exchanges yet (nothing uploaded: a writer may still be running)")
        elif any(ch in item for ch in "*?["):
            found = sorted(glob.glob(item, recursive=True))
            found = [f for p in found for f in (_files(Path(p)) if Path(p).is_dir() else [p]) if f.endswith(".parquet")]
            if not found:
                raise AnalysisError(f"{item} matches no cassette files: check the pattern")
        else:
            path = Path(item)
            if not path.exists():
                raise AnalysisError(f"no cassette at {path}: check the path, or record one with "
                                    f"`tillroll record {path}`")
            found = _files(path) if path.is_dir() else [str(path)]
            if not found:
                raise AnalysisError(f"{path} holds no exchanges yet (nothing rolled into Parquet: a writer may "
                                    f"still be running; `tillroll info {path}` tells)")
        files += found
    return files


def _files(root: Path) -> list[str]:
    """The Parquet files of the cassette(s) under *root*: not quarantine/, not hidden
    folders (an import stages its files in one until the whole file is read)."""
    return sorted(str(p) for p in root.rglob("*.parquet")
                  if not any(part == "quarantine" or part.startswith(".") for part in p.relative_to(root).parts))


def arrow(relation: duckdb.DuckDBPyRelation):
    """The relation's rows as an Arrow table (the method's name changed in DuckDB 1.4)."""
    to_arrow = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
    return to_arrow()


def connect(cassettes: list[str | Path], database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the views over *cassettes* defined."""
    files = parquet_sources(cassettes)
    con = duckdb.connect(database)
    try:
        con.execute("SET enable_progress_bar = false")  # it would go to stdout, into piped results
    except duckdb.Error:  # in Jupyter without ipywidgets DuckDB refuses to touch the setting
        pass
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    con.execute(f"CREATE OR REPLACE VIEW exchanges AS SELECT * FROM read_parquet([{listed}], "
                "hive_partitioning = true, union_by_name = true)")
    con.execute((SQL / "views.sql").read_text())
    return con
