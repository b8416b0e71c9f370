"""``tillroll query``, ``report``, ``check`` and ``shell``: SQL over cassettes."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import duckdb

from tillroll import htmldoc
from tillroll.cli import CONTEXT

from . import checks as checks_mod
from . import page as page_mod
from . import page_html
from . import reports as reports_mod
from . import schema as schema_mod
from .output import FORMATS, render
from .views import AnalysisError, arrow, connect

cassettes_argument = click.argument("cassettes", nargs=-1, required=True, metavar="CASSETTE...")
format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)


def _connect(cassettes) -> duckdb.DuckDBPyConnection:
    try:
        return connect(list(cassettes))
    except AnalysisError as exc:
        raise click.ClickException(str(exc)) from None
    except duckdb.Error as exc:
        raise click.ClickException(f"cannot read the cassette(s): {_first(exc)}") from None


def _first(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:3])[:500] if lines else type(exc).__name__


@click.command(context_settings=CONTEXT)
@click.argument("sql")
@cassettes_argument
@format_option
def query(sql, cassettes, fmt) -> None:
    """Run SQL over CASSETTE(s): views exchanges, spot, spoton, xgl, spoonity.

    \b
    Example:
      tillroll query "SELECT vendor, count(*) FROM exchanges GROUP BY ALL" cassettes/pos-day
    """
    con = _connect(cassettes)
    try:
        table = arrow(con.sql(sql))
    except duckdb.Error as exc:
        raise click.ClickException(f"the query failed: {_first(exc)}") from None
    except AttributeError:  # a statement with no result (CREATE, SET)
        return
    click.echo(render(table, fmt))


@click.command(context_settings=CONTEXT)
@click.argument("name", metavar="NAME")
@cassettes_argument
@format_option
def report(name, cassettes, fmt) -> None:
    """Run the named report over CASSETTE(s): usage, errors, latency, sessions, coverage, gaps, schema.

    The SQL of each report is in analysis/sql/reports/NAME.sql; schema infers the JSON
    fields of every operation's parameters and responses (types, presence ratio).

    \b
    Example:
      tillroll report coverage cassettes/pos-day
      tillroll report errors "cassettes/store-*" --format markdown
    """
    if name != "schema":
        try:
            reports_mod.describe(name)
        except AnalysisError as exc:
            raise click.UsageError(f"{exc}, schema") from None
    con = _connect(cassettes)
    click.echo(render(schema_mod.infer(con) if name == "schema" else reports_mod.run(con, name), fmt))


@click.command("diff-schema", context_settings=CONTEXT)
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@format_option
@click.option("--fail-on-drift", is_flag=True, help="Exit with status 1 when anything changed (for CI).")
def diff_schema(old, new, fmt, fail_on_drift) -> None:
    """What changed in the vendors' JSON between cassette OLD and cassette NEW: fields added,
    removed, of another type, or become optional.

    \b
    Example:
      tillroll diff-schema cassettes/last-month cassettes/live --fail-on-drift
    """
    changes = schema_mod.diff(schema_mod.infer(_connect([old])), schema_mod.infer(_connect([new])))
    click.echo(render(changes, fmt) if changes.num_rows else "no schema drift")
    if fail_on_drift and changes.num_rows:
        sys.exit(1)


@click.command(context_settings=CONTEXT)
@cassettes_argument
@format_option
@click.option("--severity", type=click.Choice(checks_mod.SEVERITIES), default="warning", show_default=True,
              help="The least severe findings shown: error keeps the vendors' hard rules only; warning adds "
                   "their guidance (polling cadence, recommended practice).")
def check(cassettes, fmt, severity) -> None:
    """Check CASSETTE(s) against every documented vendor rule; exit status 1 when a hard rule
    (severity error) is broken. Guidance broken is reported as a warning, exit status 0.

    Each finding names the exchange, the rule, its severity and where the vendor documents
    it. analysis/RULES.md lists every rule the vendors document and the check for it.

    \b
    Example:
      tillroll check cassettes/pos-day
      tillroll check cassettes/pos-day --severity error --format json
    """
    con = _connect(cassettes)
    loaded = checks_mod.load(severity)
    findings = checks_mod.run(con, loaded)
    errors = sum(f.severity == "error" for f in findings)
    if fmt == "table":
        for f in findings:
            click.echo(f"{f.severity}: {f.rule}: {f.detail}\n  exchange {f.exchange_id} at {f.started_at} "
                       f"({f.vendor} {f.operation})\n  rule: {f.doc}")
        if findings:
            click.echo(f"{len(findings)} finding(s), {errors} error(s) and {len(findings) - errors} warning(s), "
                       f"over {len(loaded)} rule(s)")
        else:
            click.echo(f"all {len(loaded)} rules hold")
    else:
        import pyarrow as pa

        table = pa.Table.from_pylist([f.__dict__ for f in findings]) if findings else pa.table({"rule": []})
        click.echo(render(table, fmt))
    if errors:
        sys.exit(1)


@click.command(context_settings=CONTEXT)
@cassettes_argument
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML file to write (replaced when it exists).")
@click.option("--per-operation", type=click.IntRange(min=0), default=page_mod.PER_OPERATION, show_default=True,
              help="Exchanges that ended ok carried in full per operation.")
@click.option("--failures-in-full", type=click.IntRange(min=0), default=page_mod.FAILURES_IN_FULL,
              show_default=True, help="Failures carried in full per operation; every other failure is listed "
                                      "by its request line, status and message.")
def html(cassettes, output, per_operation, failures_in_full) -> None:
    """Write one self-contained HTML page of CASSETTE(s): the day at a glance, operations,
    a timeline, sessions, SpotOn polling coverage, the findings of check, and every
    exchange decoded. It opens from a file, offline: nothing on it asks the network.

    \b
    Example:
      tillroll html cassettes/pos-day -o pos-day.html
      tillroll html "cassettes/store-*" -o stores.html --per-operation 50
    """
    con = _connect(cassettes)
    page = page_mod.gather(con, list(cassettes), per_operation=per_operation, failures_in_full=failures_in_full)
    text = page_html.render(page)
    htmldoc.write(output, text)
    click.echo(f"wrote {output} ({len(text.encode()):,} bytes): {page.exchanges:,} exchange(s), "
               f"{len(page.details):,} listed, {page.in_full:,} in full, "
               f"{sum(page.findings_by_rule.values()):,} finding(s)", err=True)


@click.command(context_settings=CONTEXT)
@cassettes_argument
def shell(cassettes) -> None:
    """An interactive SQL session over CASSETTE(s), the views defined. End statements with ;

    .tables lists the views, .quit (or Ctrl-D) leaves.

    \b
    Example:
      tillroll shell cassettes/pos-day
    """
    con = _connect(cassettes)
    try:
        import readline  # noqa: F401  (line editing and history when available)
    except ImportError:
        pass
    click.echo("tillroll shell: views exchanges, spot, spoton, xgl, spoonity; end statements with ;", err=True)
    buffer: list[str] = []
    while True:
        try:
            line = input("tillroll> " if not buffer else "     ...> ")
        except EOFError:
            break
        if not buffer and line.strip() in (".quit", ".exit"):
            break
        if not buffer and line.strip() == ".tables":
            click.echo(render(arrow(con.sql("SELECT table_name AS view FROM information_schema.tables ORDER BY 1"))))
            continue
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            continue
        sql, buffer = "\n".join(buffer), []
        try:
            result = con.sql(sql)
            if result is not None:
                click.echo(render(arrow(result)))
        except duckdb.Error as exc:
            click.echo(f"error: {_first(exc)}", err=True)
