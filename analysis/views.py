"""DuckDB over cassettes: the ``exchanges`` view and the per-vendor views.

    con = connect(["cassettes/pos-day"])       # directories, globs, or several of each
    con.sql("SELECT vendor, count(*) FROM exchanges GROUP BY ALL")

``exchanges`` holds every column of the stored record (``tillroll schema``) plus ``date``
(the partition). ``spot``, ``spoton``, ``xgl`` and ``spoonity`` expose the decoded fields
(``analysis/sql/views/``: the macros, then one file per vendor). Exchanges still in a live writer's write-ahead segments are
not visible until rolled into Parquet (the writer closes, or ``tillroll compact``).
"""

from __future__ import annotations

import glob
from pathlib import Path

import duckdb

from tillroll.store import MANIFEST, CassetteError, check_cassette, open_cassette
from tillroll.store import parquet_files as pqf
from tillroll.store.objectstore import is_remote

SQL = Path(__file__).with_name("sql")


class AnalysisError(Exception):
    """Bad input for an analysis: one sentence with the fix."""


def parquet_sources(cassettes: list[str | Path]) -> list[str]:
    """The Parquet files of *cassettes* (cassette folders, folders of cassettes, ``s3://``
    URLs, or globs naming them), each checked to be one tillroll wrote; one clear sentence
    otherwise. A folder with neither ``tillroll.json`` nor cassettes in it is refused,
    whatever it holds."""
    if not cassettes:
        raise AnalysisError("no cassette given: name one or more cassette directories (or globs)")
    files: list[str] = []
    for item in map(str, cassettes):
        if any(ch in item for ch in "*?[") and not is_remote(item):
            matched = sorted(glob.glob(item, recursive=True))
            if not matched:
                raise AnalysisError(f"{item} matches no cassette: check the pattern")
            roots = matched
        else:
            roots = [item]
        for root in roots:
            files += [f for cassette in _cassettes_in(root) for f in _cassette_files(cassette)]
    return files


def _cassettes_in(item: str) -> list[str]:
    """*item* itself, or, for a folder of cassettes (no ``tillroll.json`` of its own), the
    cassettes directly in it; a folder holding neither is left to :func:`_cassette_files` to
    refuse."""
    path = Path(item)
    if is_remote(item) or (path / MANIFEST).exists() or not path.is_dir():
        return [item]
    inner = sorted(str(p) for p in path.iterdir() if p.is_dir() and (p / MANIFEST).is_file())
    return inner or [item]


def _cassette_files(item: str) -> list[str]:
    try:
        if is_remote(item):  # read through this machine's mirror of it
            root = open_cassette(item).root
        else:
            root = check_cassette(Path(item))
    except CassetteError as exc:
        raise AnalysisError(str(exc)) from None
    found = pqf.list_parquet(root)
    if not found:
        raise AnalysisError(f"{item} holds no exchanges yet (nothing rolled into Parquet: a writer may "
                            f"still be running; `tillroll info {item}` tells)")
    for path in found:  # DuckDB would read a foreign file's columns as NULLs, or fail with its own words
        try:
            pqf.check_file(path)
        except pqf.UnreadableFile as exc:
            raise AnalysisError(f"cannot read {path.relative_to(root)} in cassette {item}: {exc}; `tillroll info "
                                f"{item}` moves it to the cassette's quarantine/ folder (kept, never deleted)"
                                ) from None
    return [str(p) for p in found]


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
    for path in sorted((SQL / "views").glob("*.sql")):  # 00_macros.sql first: the views use them
        con.execute(path.read_text())
    return con
