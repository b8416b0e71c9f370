"""The root command line: ``tillroll``.

Every package adds its commands through the ``tillroll.commands`` entry-point group
(see ``pyproject.toml``), so the root never imports ``proxy``, ``replay`` or
``analysis``, and a command's dependencies load only when that command runs.
"""

from __future__ import annotations

import functools
from importlib import metadata

import click

from tillroll.capture import native
from tillroll.store import CassetteError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
GROUP = "tillroll.commands"


class EntryPointGroup(click.Group):
    """A click group whose commands are the entry points of ``tillroll.commands``."""

    def _entry_points(self) -> dict[str, metadata.EntryPoint]:
        return {ep.name: ep for ep in metadata.entry_points(group=GROUP)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._entry_points()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and (ep := self._entry_points().get(name)):
            command = ep.load()
        return command


def _version() -> str:
    try:
        return metadata.version("tillroll")
    except metadata.PackageNotFoundError:
        return "unknown"


@click.group(cls=EntryPointGroup, context_settings=CONTEXT)
@click.version_option(_version(), "--version", prog_name="tillroll",
                      message=f"%(prog)s, version %(version)s\n{native.describe()}")
def main() -> None:
    """tillroll records, replays and analyses the HTTP traffic between a POS and its
    vendor APIs (SPOT, SpotOn, Xenial XGL, Spoonity).

    \b
    Example:
      tillroll demo
      tillroll info cassettes/demo
    """


def user_errors(func):
    """Turn a :class:`CassetteError` into one clear line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CassetteError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper
