"""``tillroll import`` and ``tillroll export``: thin adapters over the importer and exporter."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tillroll.cli import CONTEXT, _version, user_errors
from tillroll.capture import RedactionKeyError, load_key
from tillroll.capture import PolicyError, load_policy
from . import formats
from .exporter import FORMATS, export_cassette
from .importer import DEFAULT_MAX_BODY, import_files
from .postman import BrokenEnvironment, load_environment


@click.command("import", context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--cassette", required=True,
              help="Cassette to import into (a folder or an s3:// URL; created when missing).")
@click.option("--format", "fmt", type=click.Choice(formats.FORMATS),
              help="Read FILES as this format instead of detecting it from their content.")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Redaction key file (default: $TILLROLL_KEY, then ~/.config/tillroll/key).")
@click.option("--policy", type=click.Path(path_type=Path, dir_okay=False), help="Redaction policy (TOML).")
@click.option("--max-body", type=click.IntRange(min=0), default=DEFAULT_MAX_BODY, show_default=True,
              help="Store at most this many bytes of a body (the rest is cut and flagged).")
@click.option("--partial", is_flag=True,
              help="From a truncated or damaged file, keep the entries before the damage.")
@click.option("--workers", type=click.IntRange(min=1),
              help="Processes decoding and redacting the entries of big files (default: one per core).")
@click.option("--environment", type=click.Path(path_type=Path, dir_okay=False),
              help="Postman environment export whose values fill the collections' {{variables}}.")
@user_errors
def import_traffic(files, cassette, fmt, key_file, policy, max_body, partial, workers, environment) -> None:
    """Import recorded traffic into CASSETTE, decoded and redacted as the recording proxy does.

    HAR 1.2 from browsers, Charles, Fiddler, Proxyman, Postman or mitmproxy's savehar
    (also gzipped); flow files written by `mitmdump -w`; vcrpy cassettes (YAML or JSON,
    also the format before vcrpy 1.0), Ruby VCR and Betamax cassettes; Postman collections
    v2.0/v2.1 (each saved example is an exchange). The format is read from the content.
    A broken entry is skipped and reported; a broken file is not imported at all (unless
    --partial). Exit status 1 when a file could not be imported or yielded nothing.

    \b
    Example:
      tillroll import session.har --cassette cassettes/imported
      tillroll import capture.mitm chrome.har.gz --cassette cassettes/imported
      tillroll import tests/cassettes/*.yaml --cassette cassettes/from-vcr
      tillroll import api.postman_collection.json --environment sandbox.postman_environment.json \\
          --cassette cassettes/examples
    """
    try:
        key, rules = load_key(key_file), load_policy(policy)
    except (RedactionKeyError, PolicyError) as exc:
        raise click.ClickException(str(exc)) from None
    variables = None
    if environment is not None:
        try:
            variables = load_environment(environment.read_bytes(), str(environment))
        except OSError as exc:
            raise click.ClickException(f"{environment}: cannot be read ({exc.strerror or type(exc).__name__})") \
                from None
        except BrokenEnvironment as exc:
            raise click.ClickException(f"{exc}: nothing imported") from None
    summary = import_files(list(files), cassette, key, rules, fmt=fmt, max_body=max_body, partial=partial,
                           workers=workers, environment=variables, progress=_ImportProgress())
    click.echo(summary.text())
    if summary.failed_files:
        sys.exit(1)


@click.command(context_settings=CONTEXT)
@click.argument("cassette")  # a folder or an s3:// URL
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="har: HAR 1.2 (Chrome DevTools, any HAR viewer); mitm: a flow file for "
                   "mitmproxy -r / mitmweb -r; vcr: a vcrpy cassette (YAML).")
@user_errors
def export(cassette: Path, out: Path, fmt: str) -> None:
    """Export CASSETTE to OUT as HAR, a mitmproxy flow file or a vcrpy cassette.

    What is exported is what the cassette holds: redacted. OUT appears only once it is
    complete.

    \b
    Example:
      tillroll export cassettes/pos-day pos-day.har --format har
      tillroll export cassettes/pos-day pos-day.mitm --format mitm && mitmweb -r pos-day.mitm
      tillroll export cassettes/pos-day tests/cassettes/pos_day.yaml --format vcr
    """
    if out.parent and not out.parent.exists():
        raise click.ClickException(f"{out.parent} does not exist: create it first")
    counting = sys.stderr.isatty()  # a count rewritten in place: only on a terminal
    try:
        result = export_cassette(cassette, fmt, out, version=_version(),
                                 progress=(lambda n: click.echo(f"\r{n:,} exchanges", err=True, nl=False))
                                 if counting else None)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or type(exc).__name__}") from None
    if counting and result.written >= 1000:
        click.echo("", err=True)
    click.echo(result.text())


class _ImportProgress:
    """A progress bar per file on stderr (click shows only the label when it is not a terminal)."""

    def __init__(self):
        self._bar = None
        self._path = None
        self._done = 0

    def __call__(self, path: Path, done: int, size: int | None) -> None:
        if path != self._path:
            self.close()
            self._path, self._done = path, 0
            self._bar = click.progressbar(length=size or 0, label=str(path), file=sys.stderr,
                                          show_pos=False, show_percent=True).__enter__()
        step = max(0, done - self._done)
        self._done = max(self._done, done)
        if step:
            self._bar.update(step)
        if size is not None and done >= size:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
