"""Opening, writing and compacting a cassette that lives on object storage.

See :mod:`tillroll.store.objectstore` for the layout and the guarantees. Everything here keeps
the local code paths: a writer is an ordinary :class:`~tillroll.store.cassette.CassetteWriter` on
a local staging folder that uploads what it rolls; a reader reads a local mirror.
"""

from __future__ import annotations

import logging
from pathlib import Path

from . import objectstore as ob
from . import parquet_files as pqf
from .cassette import Cassette, recover_segments
from .layout import CassetteError
from .manifest import MANIFEST, describe, held, init_cassette, is_manifest, manifest_text, not_a_cassette
from .writer import CassetteWriter

log = logging.getLogger("tillroll")


def _remote(url: str):
    try:
        return ob.parse(url), ob.filesystem()
    except ob.ObjectStoreError as exc:
        raise CassetteError(str(exc)) from None
    except OSError as exc:  # the client could not even be configured
        raise CassetteError(ob.scrub(f"cannot reach object storage for {url}: {exc}")) from None


def mirror(url: str) -> tuple[Path, list[str]]:
    """Bring this machine's mirror of the cassette at *url* up to date; return its folder
    and what was done (for the user)."""
    rc, fs = _remote(url)
    check_remote(rc, fs)
    notices = flush_staged(rc, fs)
    try:
        remote = ob.list_parts(rc, fs)
        local = ob.local_dir(rc, "mirror")
        init_cassette(local)
        have = {str(p.relative_to(local)): p for p in pqf.list_parquet(local)}
        fetched = 0
        for relative, size in sorted(remote.items()):
            path = have.get(relative)
            if path is None or path.stat().st_size != size:
                try:
                    ob.download(rc, fs, relative, local / relative)
                    fetched += 1
                except FileNotFoundError:  # merged away by a compaction since the listing
                    continue
        for relative, path in have.items():
            if relative not in remote:  # compacted away: its rows are in a merged file now
                path.unlink(missing_ok=True)
    except ob.ObjectStoreError as exc:
        raise CassetteError(str(exc)) from None
    if fetched:
        notices.append(f"downloaded {fetched} new file(s) of {url} into {local}")
    return local, notices


def check_remote(rc: ob.RemoteCassette, fs, *, new: bool = False) -> None:
    """Raise :class:`~tillroll.store.manifest.NotACassette` unless the prefix holds a
    ``tillroll.json`` tillroll wrote (or, *new*, holds nothing yet: a cassette may be made there)."""
    try:
        manifest = ob.read_text(rc, fs, MANIFEST)
        names, more = ([MANIFEST], False) if manifest is not None else ob.list_names(rc, fs)
        if manifest is None and MANIFEST in names:  # another writer made the cassette meanwhile
            manifest = ob.read_text(rc, fs, MANIFEST)
    except ob.ObjectStoreError as exc:
        raise CassetteError(str(exc)) from None
    if manifest is not None:
        if is_manifest(manifest):
            return
        raise not_a_cassette(rc.url, f"its {MANIFEST} is not one tillroll wrote: was it written by another tool?")
    if not names:
        if new:
            return
        raise not_a_cassette(rc.url, f"nothing is stored under it: check the URL, or record one with "
                                     f"`tillroll record {rc.url}`")
    if new:
        raise not_a_cassette(rc.url, f"it holds {held(names, more)}; tillroll writes only under an empty prefix or an "
                                     f"existing cassette: choose a new one (e.g. {rc.url}-cassette)")
    raise not_a_cassette(rc.url, describe(names, more))


def check_new(url: str) -> None:
    """Whether a cassette may be written at *url* (see :func:`check_remote`)."""
    check_remote(*_remote(url), new=True)


def open_writer(url: str, **kwargs) -> CassetteWriter:
    """A writer for the cassette at *url*: segments staged on this machine, each rolled
    Parquet file uploaded, then deleted here."""
    rc, fs = _remote(url)
    check_remote(rc, fs, new=True)
    flush_staged(rc, fs)
    try:
        if not ob.exists(rc, fs, MANIFEST):
            ob.put_text(rc, fs, MANIFEST, manifest_text())
    except ob.ObjectStoreError as exc:
        raise CassetteError(str(exc)) from None
    staging = ob.local_dir(rc, "staging")

    def upload(files: list[Path]) -> None:  # on the writer's roller thread; a failure keeps them staged
        _upload(rc, fs, staging, files, move=True)

    return CassetteWriter(staging, cassette=rc.name, on_roll=upload, **kwargs)


def flush_staged(rc: ob.RemoteCassette, fs) -> list[str]:
    """Upload what writers on this machine staged but did not upload (they crashed, or the
    storage was unreachable): orphan segments are rolled first. Segments of live writers
    are left to them."""
    staging = ob.local_dir(rc, "staging")
    if not staging.is_dir():
        return []
    cassette = Cassette(staging)
    recover_segments(cassette)
    notices = list(cassette.notices)
    uploaded = _upload(rc, fs, staging, pqf.list_parquet(staging), move=True)
    if uploaded:
        notices.append(f"uploaded {uploaded} file(s) a previous writer on this machine left staged")
    return notices


def publish(url: str, local_root: Path, files: list[Path]) -> None:
    """Upload merged files written into the mirror (compaction)."""
    rc, fs = _remote(url)
    _upload(rc, fs, local_root, files, move=False)


def _upload(rc: ob.RemoteCassette, fs, root: Path, files: list[Path], *, move: bool) -> int:
    """Upload *files* (under *root*, at the same relative paths); with *move*, delete each
    here once it is up. Stops at the first failure: what is left is still on this disk."""
    for path in files:
        try:
            ob.upload(rc, fs, path, str(path.relative_to(root)))
        except ob.ObjectStoreError as exc:
            raise CassetteError(str(exc)) from None
        if move:
            path.unlink(missing_ok=True)
    return len(files)


def remove(url: str, local_root: Path, files: list[Path]) -> None:
    """Delete compacted inputs, remote first."""
    rc, fs = _remote(url)
    try:
        for path in files:
            ob.delete(rc, fs, str(path.relative_to(local_root)))
    except ob.ObjectStoreError as exc:
        raise CassetteError(str(exc)) from None
