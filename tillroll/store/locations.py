"""Where a cassette lives: a folder on this machine, or an ``s3://`` URL (read through a
local mirror, written through a local staging folder; see :mod:`tillroll.store.remote`)."""

from __future__ import annotations

import os
from pathlib import Path

from .cassette import Cassette, open_local
from .manifest import check_new_cassette
from .writer import CassetteWriter


def open_cassette(path: str | os.PathLike, *, recover: bool = True, repair: bool = False) -> Cassette:
    """Open the cassette at *path*, recovering orphan segments first. With *repair*
    (``tillroll info``), reading moves Parquet files it cannot read to ``quarantine/``;
    otherwise such a file stops the read with one sentence naming it.

    Raises :class:`~tillroll.store.manifest.NotACassette` when *path* is not a cassette
    (no ``tillroll.json``), before anything there is moved, renamed or written. An ``s3://``
    URL is read through this machine's mirror of it.
    """
    if str(path).startswith("s3://"):
        from .remote import (
            mirror,  # object storage only when asked for (its imports cost)
        )

        root, notices = mirror(str(path))
        return Cassette(root, recovered=notices, location=str(path), repair=repair)
    return open_local(path, recover=recover, repair=repair)


def check_writable(location: str | os.PathLike) -> None:
    """Raise :class:`~tillroll.store.manifest.NotACassette` unless a cassette may be written
    at *location*: nothing there yet, an empty folder (or prefix), or a cassette already."""
    if str(location).startswith("s3://"):
        from .remote import check_new

        check_new(str(location))
    else:
        check_new_cassette(Path(location))


def open_writer(location: str | os.PathLike, **kwargs) -> CassetteWriter:
    """A :class:`CassetteWriter` for a cassette folder or an ``s3://`` URL."""
    if str(location).startswith("s3://"):
        from .remote import open_writer as remote_writer

        return remote_writer(str(location), **kwargs)
    return CassetteWriter(location, **kwargs)
