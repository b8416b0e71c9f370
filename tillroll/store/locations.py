"""Where a cassette lives: a folder on this machine, or an ``s3://`` URL (read through a
local mirror, written through a local staging folder; see :mod:`tillroll.store.remote`)."""

from __future__ import annotations

import os

from .cassette import Cassette, open_local
from .writer import CassetteWriter


def open_cassette(path: str | os.PathLike, *, recover: bool = True) -> Cassette:
    """Open the cassette at *path*, recovering orphan segments first.

    Raises :class:`~tillroll.store.layout.CassetteError` when *path* is missing or is not a
    cassette. An ``s3://`` URL is read through this machine's mirror of it.
    """
    if str(path).startswith("s3://"):
        from .remote import (
            mirror,  # object storage only when asked for (its imports cost)
        )

        root, notices = mirror(str(path))
        return Cassette(root, recovered=notices, location=str(path))
    return open_local(path, recover=recover)


def open_writer(location: str | os.PathLike, **kwargs) -> CassetteWriter:
    """A :class:`CassetteWriter` for a cassette folder or an ``s3://`` URL."""
    if str(location).startswith("s3://"):
        from .remote import open_writer as remote_writer

        return remote_writer(str(location), **kwargs)
    return CassetteWriter(location, **kwargs)
