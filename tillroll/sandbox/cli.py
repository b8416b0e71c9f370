"""``tillroll sandbox``: serve the vendor sandbox in the foreground."""

from __future__ import annotations

from pathlib import Path

import click

from tillroll.cli import CONTEXT
from . import credentials
from .server import base_url

DEFAULT_CERT_DIR = Path.home() / ".cache" / "tillroll" / "sandbox-tls"


@click.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8700, show_default=True, help="Port to listen on.")
@click.option("--https", "use_https", is_flag=True,
              help="Serve HTTPS with a local CA (written to --cert-dir; trust its ca.pem).")
@click.option("--cert-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CERT_DIR,
              show_default=True, help="Where --https keeps ca.pem, cert.pem and key.pem.")
@click.option("--fake-clock", "fake_clock", is_flag=True,
              help="Start a movable clock at the current time (move it with POST /__sandbox/clock).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every generated id and value.")
def sandbox(host: str, port: int, use_https: bool, cert_dir: Path, fake_clock: bool, seed: int) -> None:
    """Serve SPOT, SpotOn, Xenial XGL and Spoonity look-alikes on one port, as documented.

    No real credentials are needed: the sandbox's own are printed at start. State lives in
    memory; POST /__sandbox/reset starts over.

    \b
    Example:
      tillroll sandbox
      tillroll sandbox --port 8443 --https --fake-clock
      curl -s localhost:8700/__sandbox/credentials
    """
    from aiohttp import web

    from .app import make_app
    from .clock import Clock, FakeClock

    clock = FakeClock(Clock().now().replace(microsecond=0)) if fake_clock else None
    ssl_context = None
    if use_https:
        from .tls import server_ssl_context

        ssl_context = server_ssl_context(cert_dir)
    url = base_url(host, port, https=use_https)
    click.echo(f"tillroll sandbox on {url}" + (f"  (trust {cert_dir / 'ca.pem'})" if use_https else ""))
    for name, value in credentials.as_dict().items():
        click.echo(f"  {name:<18} {value}")
    web.run_app(make_app(clock=clock, seed=seed), host=host, port=port, ssl_context=ssl_context,
                print=None, access_log=None)
