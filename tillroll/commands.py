"""The core's own commands: ``info``, ``compact``, ``schema``, ``demo``.

Each is a thin adapter: parse, call one library function, print.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from tillroll.demo import run as demo_mod
from .cli import CONTEXT, user_errors
from tillroll.store.compact import compact_cassette
from tillroll.store.exchange import COLUMN_DOCS, SCHEMA, SCHEMA_VERSION
from tillroll.store import open_cassette
from tillroll.store.summary import format_summary, summarize

FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                      show_default=True, help="Output format.")


@click.command(context_settings=CONTEXT)
@click.argument("cassette")  # a folder or an s3:// URL
@FORMAT
@user_errors
def info(cassette: str, fmt: str) -> None:
    """Print what CASSETTE holds: exchanges, vendors, operations, time span, files, size.

    Opening a cassette recovers what a crashed writer left behind; info also moves Parquet
    files it cannot read (damaged, or written by another tool) to the cassette's quarantine/
    folder, kept, and then exits with status 1. What it did is printed as notes. A folder
    without tillroll.json is not a cassette: it is refused, and nothing in it is touched.

    \b
    Example:
      tillroll info cassettes/demo
      tillroll info cassettes/demo --format json
    """
    opened = open_cassette(cassette, repair=True)
    summary = summarize(opened)
    click.echo(json.dumps(summary.to_json(), indent=2) if fmt == "json" else format_summary(summary))
    if opened.damaged:
        raise click.ClickException(f"{len(opened.damaged)} file(s) of {cassette} could not be read and were moved "
                                   "to its quarantine/ folder (see the notes above)")


@click.command(context_settings=CONTEXT)
@click.argument("cassette")  # a folder or an s3:// URL
@click.option("--target-rows", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Largest number of exchanges in one merged file.")
@user_errors
def compact(cassette: str, target_rows: int) -> None:
    """Merge CASSETTE's small Parquet files, one date partition at a time.

    Safe while proxies are still recording into the cassette: only files that existed
    when compaction started are merged, and each is deleted only after its merged
    replacement is complete on disk.

    \b
    Example:
      tillroll compact cassettes/live
    """
    result = compact_cassette(cassette, target_rows=target_rows,
                              progress=lambda name: click.echo(f"compacting {name}", err=True))
    for notice in result.notices:
        click.echo(f"note: {notice}", err=True)
    click.echo(f"{result.files_before} file(s) -> {result.files_after} file(s), {result.rows} exchanges"
               + (f", {result.duplicates_dropped} duplicate(s) dropped" if result.duplicates_dropped else ""))


@click.command(context_settings=CONTEXT)
@FORMAT
def schema(fmt: str) -> None:
    """Print the columns of the stored exchange record (schema version, types, meaning).

    \b
    Example:
      tillroll schema
      tillroll schema --format json
    """
    rows = [(f.name, str(f.type), COLUMN_DOCS[f.name]) for f in SCHEMA]
    if fmt == "json":
        click.echo(json.dumps({"schema_version": SCHEMA_VERSION,
                               "columns": [dict(zip(("name", "type", "doc"), r)) for r in rows]}, indent=2))
        return
    click.echo(f"schema version {SCHEMA_VERSION}")
    w0 = max(len(r[0]) for r in rows)
    w1 = min(max(len(r[1]) for r in rows), 40)
    for name, typ, doc in rows:
        click.echo(f"{name:<{w0}}  {typ:<{w1}}  {doc}")


@click.command(context_settings=CONTEXT)
@click.option("--cassette", type=click.Path(path_type=Path), default=Path("cassettes/demo"),
              show_default=True, help="Where to write the demo cassette: a new or empty folder, or a cassette an "
                                      "earlier demo wrote (replaced).")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Redaction key file (default: $TILLROLL_KEY, then ~/.config/tillroll/key).")
@user_errors
def demo(cassette: Path, key_file: Path | None) -> None:
    """Record a POS day through the real proxy into a cassette, and show what was recorded.

    Starts the built-in vendor sandbox and mitmdump with the tillroll addon in front of it,
    drives a scripted day through SPOT, SpotOn, Xenial XGL and Spoonity (legacy Base64
    bodies, an expired session and a few failures included), then reads the cassette.

    \b
    Example:
      tillroll demo
      tillroll demo --cassette /tmp/demo
    """
    demo_mod.check_room(cassette)
    click.echo("tillroll demo: sandbox + recording proxy + a scripted POS day ...", err=True)
    result = demo_mod.run_demo(cassette, key_file=key_file)
    click.echo(f"{result.calls} requests sent through the proxy.\n")
    click.echo(format_summary(result.summary))
    if result.hidden_failures:
        click.echo("\nfailures hidden inside HTTP 200 responses:")
        for failure in result.hidden_failures:
            click.echo(f"  {failure}")
    click.echo(demo_mod.NEXT_STEPS.format(cassette=cassette))
