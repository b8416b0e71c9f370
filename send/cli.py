"""``tillroll send`` and ``tillroll verify``: a cassette's requests to a live API."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tillroll import htmldoc
from tillroll.cli import CONTEXT, user_errors
from tillroll.store import CassetteError, check_writable, open_writer

from . import drift_html
from .drift import compare
from .plan import parse_rate
from .run import Prepared, SendError, check_reachable, explain, prepare, run, summary


def _options(func):
    options = [
        click.argument("cassette"),
        click.option("--to", "to", multiple=True, metavar="[VENDOR=]URL", required=True,
                     help="Where to send: scheme, host and port (and a path prefix) replace the recorded ones. "
                          "Repeatable per vendor: --to spot=http://… --to spoonity=http://…"),
        click.option("--secrets", "secrets_file", type=click.Path(dir_okay=False), metavar="FILE",
                     help="TOML of name = \"value\": the real values behind the cassette's pseudonyms "
                          "(also TILLROLL_SECRET_<NAME> variables)."),
        click.option("--key-file", type=click.Path(dir_okay=False),
                     help="The redaction key the cassette was recorded with."),
        click.option("--rate", default="recorded", show_default=True, metavar="recorded|Nx|max",
                     help="Pace: the recorded gaps, divided by N (2x halves them), or none at all."),
        click.option("--concurrency", type=click.IntRange(1, 1024), default=1, show_default=True,
                     help="Requests in flight at once (a request that needs an earlier answer waits for it)."),
        click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
                     help="Seconds per request."),
        click.option("--allow-pseudonyms", is_flag=True,
                     help="Send pseudonyms no secret stands for as they are, instead of refusing."),
        click.option("--yes-production", is_flag=True,
                     help="Send to a URL that looks like a vendor's production API (places real orders)."),
        click.option("--explain", "show_explain", is_flag=True,
                     help="Print every binding (values handed from an answer to later requests) and secret used."),
        click.option("--dry-run", is_flag=True, help="Check and explain everything, send nothing."),
        click.option("--record-to", metavar="CASSETTE2",
                     help="Record what comes back (through the capture pipeline, with the same key)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _prepared(cassette, to, secrets_file, key_file, rate, concurrency, timeout, allow_pseudonyms,
              yes_production) -> Prepared:
    try:
        pace = parse_rate(rate)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--rate") from None
    try:
        return prepare(cassette, to, secrets_file=secrets_file, key_file=key_file, rate=pace,
                       concurrency=concurrency, allow_pseudonyms=allow_pseudonyms, yes_production=yes_production,
                       timeout=timeout)
    except SendError as exc:
        raise click.ClickException(str(exc)) from None


def _send(prepared: Prepared, show_explain: bool, dry_run: bool, record_to: str | None, command: str):
    """Explain, check the targets, send with a progress bar; the answers and the seconds."""
    mask = prepared.secrets.mask
    for warning in prepared.warnings:
        click.echo(f"tillroll {command}: warning: {mask(warning)}", err=True)
    if show_explain or dry_run:
        for line in explain(prepared):
            click.echo(mask(line), err=True)
    if dry_run:
        click.echo(f"tillroll {command}: dry run, {len(prepared.plans)} request(s) checked, none sent", err=True)
        return None
    try:
        check_reachable(prepared)
    except SendError as exc:
        raise click.ClickException(str(exc)) from None
    writer = None
    if record_to:
        try:
            writer = open_writer(record_to)
        except (CassetteError, OSError) as exc:
            raise click.ClickException(mask(f"cannot record to {record_to}: {exc}")) from None
    done = 0
    try:
        with click.progressbar(length=len(prepared.plans), label=f"{command}ing", file=sys.stderr,
                               item_show_func=lambda label: label or "", show_pos=True) as bar:
            def answered(outcome):
                nonlocal done
                done += 1
                if writer is not None:
                    writer.append(outcome.live)
                bar.update(1, outcome.planned.label)

            outcomes, seconds = run(prepared, answered)
    except KeyboardInterrupt:  # say how far it got: a day sent half-way must not pass unnoticed
        raise click.ClickException(f"interrupted: {done} of {len(prepared.plans)} request(s) were answered, "
                                   "the rest were not sent (or their answers not awaited)") from None
    finally:
        if writer is not None:
            writer.close()
    for line in summary(outcomes, seconds):
        click.echo(mask(line), err=True)
    if record_to:
        click.echo(f"tillroll {command}: recorded {len(outcomes)} answer(s) into {record_to}", err=True)
    return outcomes


@click.command(context_settings=CONTEXT)
@_options
@user_errors
def send(cassette, to, secrets_file, key_file, rate, concurrency, timeout, allow_pseudonyms, yes_production,
         show_explain, dry_run, record_to) -> None:
    """Send CASSETTE's requests, in recorded order, to a live API.

    Credentials come back from their pseudonyms (--secrets, with the cassette's
    --key-file); sessions, receipts and ids that an answer hands out are carried to the
    later requests by themselves (--explain lists them). Nothing is sent when a pseudonym
    has no value, a secret stands for nothing, or the URL looks like production.

    \b
    Example:
      tillroll send cassettes/pos-day --to http://127.0.0.1:8700 --secrets secrets.toml --key-file key
      tillroll send cassettes/pos-day --to spot=https://staging.example.com --rate 2x --record-to cassettes/staging
      tillroll send cassettes/pos-day --to http://127.0.0.1:8700 --rate max --concurrency 8
    """
    if record_to:  # first: a folder tillroll did not create is never written to
        check_writable(record_to)
    prepared = _prepared(cassette, to, secrets_file, key_file, rate, concurrency, timeout, allow_pseudonyms,
                         yes_production)
    _send(prepared, show_explain, dry_run, record_to, "send")


@click.command(context_settings=CONTEXT)
@_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the report as one self-contained HTML page (a CI artifact).")
@user_errors
def verify(cassette, to, secrets_file, key_file, rate, concurrency, timeout, allow_pseudonyms, yes_production,
           show_explain, dry_run, record_to, fmt, html_file) -> None:
    """Send CASSETTE's requests and compare each live answer with the recorded one.

    Status, vendor outcome (a failure inside a 200 counts), JSON structure (fields added,
    removed, renamed, retyped) and values are compared, per operation; noise (volatile
    fields, values that vary between recorded answers of identical requests, date/times)
    is left out and listed. Exits 1 when anything drifted.

    \b
    Example:
      tillroll verify cassettes/pos-day --to https://sandbox.example.com --secrets s.toml --key-file key
      tillroll verify cassettes/pos-day --to http://127.0.0.1:8700 --rate max --format json
      tillroll verify cassettes/pos-day --to http://127.0.0.1:8700 --rate max --html drift.html
    """
    if record_to:  # first: a folder tillroll did not create is never written to
        check_writable(record_to)
    prepared = _prepared(cassette, to, secrets_file, key_file, rate, concurrency, timeout, allow_pseudonyms,
                         yes_production)
    outcomes = _send(prepared, show_explain, dry_run, record_to, "verify")
    if outcomes is None:
        return
    report = compare([(o.planned.exchange, o.live) for o in outcomes], prepared.exchanges)
    mask = prepared.secrets.mask
    if fmt == "json":
        click.echo(mask(json.dumps(report.as_json(), ensure_ascii=False, indent=2)))
    else:
        for line in report_lines(report):
            click.echo(mask(line))
    if html_file:
        htmldoc.write(html_file, mask(drift_html.render(report, cassette, list(to))))
        click.echo(f"tillroll verify: wrote {html_file}", err=True)
    if report.drift:
        sys.exit(1)


def report_lines(report) -> list[str]:
    drifted = sum(op.drifted for op in report.drift)
    lines = [f"verify: {report.compared} answer(s) compared, {drifted} drifted in {len(report.drift)} operation(s)"]
    for op in report.drift:
        lines.append(f"{op.vendor} {op.operation}: {op.drifted} of {op.answers} answer(s) drifted")
        width = max(len(c.field) for c in op.changes)
        lines += [f"  {c.field:<{width}}  {c.describe()}" for c in op.changes]
    if report.noise:
        lines.append("noise, left out of the comparison (confirm these vary on their own):")
        lines += [f"  {n.vendor} {n.operation} {n.field}: {n.why}" for n in report.noise]
    return lines



