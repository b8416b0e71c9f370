"""``tillroll replay CASSETTE``: serve a cassette deterministically."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click
from aiohttp import web

from tillroll import event_loop
from tillroll.cli import CONTEXT, user_errors
from tillroll.capture import RedactionKeyError

from .app import ON_MISS, SERVER_OPTIONS, Settings, make_app
from .faults import FaultError, Injector, parse
from .matching import DEFAULT, MATCHERS, MatcherError, load_matcher
from .memory import DEFAULT_MEMORY, describe_size, parse_size
from .playback import POLICIES
from .server import open_replayer, ssl_context


def parse_latency(value: str) -> float:
    """``none`` -> 0, ``recorded`` -> 1, ``x2.5`` -> 2.5."""
    if value == "none":
        return 0.0
    if value == "recorded":
        return 1.0
    if value.startswith("x"):
        try:
            factor = float(value[1:])
        except ValueError:
            factor = -1.0
        if factor >= 0:
            return factor
    raise click.BadParameter(f"{value!r}: use none, recorded or xFACTOR (x0.5, x2)", param_hint="--latency")


@click.command(context_settings=CONTEXT)
@click.argument("cassette")  # a folder or an s3:// URL
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--on-miss", type=click.Choice(ON_MISS), default="error", show_default=True,
              help="error: answer --miss-status with the near-miss report; forward: pass to --upstream; "
                   "record: forward and append to the cassette.")
@click.option("--miss-status", type=click.IntRange(100, 599), default=599, show_default=True)
@click.option("--upstream", metavar="URL", help="Where misses go with --on-miss forward|record.")
@click.option("--match", "match", metavar="M1,M2", default=",".join(DEFAULT), show_default=True,
              help=f"Matchers, comma-separated (known: {', '.join(sorted(MATCHERS))}).")
@click.option("--matcher", "extra_matchers", multiple=True, metavar="MODULE:FUNCTION",
              help="Add a matcher of your own (a function of the match document), repeatable.")
@click.option("--match-host", is_flag=True, help="Host and port take part in matching.")
@click.option("--sequence", type=click.Choice(POLICIES), default="repeat", show_default=True,
              help="When a request's recordings are used up: repeat the last, cycle, or error.")
@click.option("--latency", default="none", show_default=True, metavar="none|recorded|xFACTOR",
              help="Answer after the recorded duration (times FACTOR), or at once.")
@click.option("--fault", "faults", multiple=True, metavar="KIND=RATE",
              help="Inject faults: reset, 5xx, spot-failed, slow (e.g. --fault 5xx=0.05), repeatable.")
@click.option("--fault-delay", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="Seconds a 'slow' fault adds.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fault draws.")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Redaction key the cassette was recorded with (PII is matched by pseudonym).")
@click.option("--certfile", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Serve HTTPS.")
@click.option("--keyfile", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--memory", default=describe_size(DEFAULT_MEMORY, short=True), show_default=True, metavar="SIZE",
              help="Memory for recorded responses once read (1G, 2.5G): those served, and the next ones of "
                   "requests recorded many times; past it the least needed are read again from the cassette.")
@click.option("--report", is_flag=True, help="At exit, print unused recordings and missed requests.")
@user_errors
def replay(cassette, host, port, on_miss, miss_status, upstream, match, extra_matchers, match_host, sequence,
           latency, faults, fault_delay, seed, key_file, certfile, keyfile, memory, report) -> None:
    """Replay CASSETTE over HTTP: recorded responses, in recorded order, no network.

    Point the POS's vendor base URLs (or its HTTP proxy) at the server. A request that
    matches no recording gets a 599 naming the closest recordings and what differs.
    GET /__tillroll/journal, /__tillroll/unmatched, /__tillroll/unused;
    POST /__tillroll/reset rewinds.

    \b
    Example:
      tillroll replay cassettes/pos-day --port 8080
      tillroll replay cassettes/pos-day --fault 5xx=0.05 --fault reset=0.02 --seed 7
      tillroll replay cassettes/million --memory 2G
    """
    try:
        budget = parse_size(memory)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--memory") from None
    try:
        names = tuple(n for n in match.split(",") if n) + tuple(load_matcher(s) for s in extra_matchers)
        injector = Injector(parse(faults), seed)
        lat = parse_latency(latency)
        opened = open_replayer(cassette, key_file=key_file, matchers=names, match_host=match_host,
                               sequence=sequence, injector=injector, memory=budget)
        settings = Settings(on_miss=on_miss, miss_status=miss_status, upstream=upstream, latency=lat,
                            fault_delay=fault_delay)
        app = make_app(opened.replayer, settings)
        context = ssl_context(certfile, keyfile)
    except (MatcherError, FaultError, RedactionKeyError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    for warning in opened.warnings:
        click.echo(f"tillroll replay: warning: {warning}", err=True)
    if not len(opened.replayer.recordings) and on_miss == "error":
        raise click.ClickException(f"{cassette} holds no recordings to replay: record some first, "
                                   "or serve it with --on-miss record --upstream URL")
    scheme = "https" if context else "http"
    click.echo(f"tillroll replay: {len(opened.replayer.recordings)} recording(s) from {cassette}, "
               f"responses kept in {describe_size(budget)} (--memory); "
               f"serving on {scheme}://{host}:{port} on {event_loop.loop_name()} (Ctrl-C stops)", err=True)
    # What is loaded (a million recordings' index) lives as long as the process: out of the
    # cyclic GC's full collections, which otherwise scanned it all every few seconds under load.
    gc.freeze()
    if report:
        async def print_report(_app):
            click.echo(opened.replayer.report(), err=True)
        app.on_shutdown.append(print_report)
    web.run_app(app, host=host, port=port, ssl_context=context, print=None, loop=event_loop.new_event_loop(),
                **SERVER_OPTIONS)
    sys.stderr.flush()
