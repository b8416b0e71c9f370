"""``tillroll record``: mitmproxy with the recording addon, several vendors at once."""

from __future__ import annotations

import re
from pathlib import Path

import click

from tillroll.cli import CONTEXT
from tillroll.capture import RedactionKeyError, load_key
from tillroll.capture import PolicyError, load_policy
from tillroll.capture import Redactor
from tillroll.store import CassetteError, check_writable

from .options import OptionClash, resolve

ADDON = Path(__file__).with_name("addon.py")
UIS = ("dump", "web", "console")
_REVERSE = re.compile(r"^reverse:(?P<url>[^@]+?)(?:@(?P<port>\d+))?$")


def mitmproxy_args(cassette: Path, modes: tuple[str, ...], listen_host: str | None, key_file: Path | None,
                   policy: Path | None, max_body: int | None, sets: tuple[str, ...],
                   confdir: Path | None) -> list[str]:
    """The mitmproxy command line for a recording session (pure: tested as such)."""
    args = ["-s", str(ADDON), "--set", f"tillroll_cassette={cassette}"]
    for mode in modes or ("regular",):
        args += ["--mode", mode]
    if listen_host:
        args += ["--listen-host", listen_host]
    if key_file:
        args += ["--set", f"tillroll_key_file={key_file}"]
    if policy:
        args += ["--set", f"tillroll_policy={policy}"]
    if max_body is not None:
        args += ["--set", f"tillroll_max_body={max_body}"]
    if confdir:
        args += ["--set", f"confdir={confdir}"]
    for option in sets:
        args += ["--set", option]
    return args


EVERY_INTERFACE = ("", "0.0.0.0", "::")


def where_it_listens(listen_host: str | None, proxyauth: bool) -> str:
    """Where the proxy accepts connections, and how to narrow it, in words."""
    if (listen_host or "") in EVERY_INTERFACE:
        where = ("tillroll: listening on every interface (all of this machine's addresses): any device that "
                 "can reach it can use the proxy; --listen-host 127.0.0.1 (or one address) restricts it")
    else:
        where = f"tillroll: listening on {listen_host} only"
    if proxyauth:
        return where + "; clients must give the password set with proxyauth"
    return where + "; --set proxyauth=USER:PASS requires a password"


def where_to_point(modes: tuple[str, ...], listen_host: str | None, confdir: Path | None) -> str:
    """What the user must configure on the POS, in words."""
    host = listen_host or "this machine's address"
    lines = []
    for mode in modes or ("regular",):
        m = _REVERSE.match(mode)
        if m:
            port = m.group("port") or "8080"
            lines.append(f"  base URL {m.group('url')}  ->  point the POS at http://{host}:{port}")
        else:
            port = mode.rsplit("@", 1)[1] if "@" in mode else "8080"
            lines.append(f"  {mode.split('@')[0]} proxy  ->  set the POS's HTTP(S) proxy to {host}:{port}")
    ca = (confdir or Path("~/.mitmproxy").expanduser()) / "mitmproxy-ca-cert.pem"
    lines.append(f"  HTTPS: the POS must trust mitmproxy's CA certificate: {ca}")
    return "\n".join(lines)


@click.command("addon-path", context_settings=CONTEXT)
def addon_path() -> None:
    """Print the path of tillroll's recording addon, to load it into any mitmproxy tool.

    The file is part of the installed package; its options are tillroll_cassette,
    tillroll_key_file, tillroll_policy, tillroll_max_body, tillroll_console and
    tillroll_inline (`mitmdump -s "$(tillroll addon-path)" --options` lists them).

    \b
    Example:
      mitmdump -s "$(tillroll addon-path)" --set tillroll_cassette=cassettes/live
      mitmweb -s "$(tillroll addon-path)" --set tillroll_cassette=cassettes/live --listen-host 127.0.0.1
    """
    click.echo(str(ADDON))


@click.command(context_settings=CONTEXT)
@click.argument("cassette")  # a folder or an s3:// URL
@click.option("--mode", "modes", multiple=True, metavar="MODE",
              help="mitmproxy mode, repeatable: regular (default, port 8080), "
                   "reverse:https://api.example.com@8081, …")
@click.option("--listen-host",
              help="Address to listen on (default: every interface; 127.0.0.1 for this machine only).")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Redaction key file (default: $TILLROLL_KEY, then ~/.config/tillroll/key).")
@click.option("--policy", type=click.Path(path_type=Path, dir_okay=False), help="Redaction policy (TOML).")
@click.option("--max-body", type=click.IntRange(min=0), help="Store at most this many bytes of a body.")
@click.option("--confdir", type=click.Path(path_type=Path, file_okay=False),
              help="mitmproxy's configuration directory (its CA certificate lives there).")
@click.option("--set", "sets", multiple=True, metavar="OPTION=VALUE",
              help="Any mitmproxy option, repeatable; yours replace tillroll's defaults "
                   "(e.g. web_columns, web_open_browser).")
@click.option("--ui", type=click.Choice(UIS), default="dump", show_default=True,
              help="dump: one redacted line per exchange; web (mitmweb) and console (mitmproxy) show the "
                   "live traffic itself, unredacted, to the person running them.")
@click.option("-q", "--quiet", is_flag=True, help="No line per exchange (warnings and the summary only).")
def record(cassette, modes, listen_host, key_file, policy, max_body, confdir, sets, ui, quiet) -> None:
    """Record the traffic between a POS and its vendors into CASSETTE, redacted.

    Runs mitmproxy with the tillroll addon. One process can record several vendors
    through reverse proxies, or everything as a regular HTTP(S) proxy. Ctrl-C stops it,
    flushes the cassette and prints a summary.

    \b
    Example:
      tillroll record cassettes/live
      tillroll record cassettes/live \\
          --mode reverse:https://api.mydrycleaner.com@8081 \\
          --mode reverse:https://api.spoonity.com@8082
    """
    try:
        resolved = resolve(sets, ui, quiet, modes, listen_host, confdir)
    except OptionClash as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from None
    modes, listen_host, confdir = resolved.modes, resolved.listen_host, resolved.confdir
    try:  # fail before starting a proxy that would not record
        check_writable(cassette)
        Redactor(load_key(key_file), load_policy(policy))
    except (RedactionKeyError, PolicyError, CassetteError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"tillroll: recording into {cassette}", err=True)
    click.echo(where_it_listens(listen_host, resolved.proxyauth), err=True)
    click.echo(where_to_point(modes, listen_host, confdir), err=True)
    args = mitmproxy_args(cassette, modes, listen_host, key_file, policy, max_body, resolved.sets, confdir)
    from mitmproxy.tools import main as mitm

    {"web": mitm.mitmweb, "console": mitm.mitmproxy, "dump": mitm.mitmdump}[ui](args)


