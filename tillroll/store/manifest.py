"""What a cassette is, decided once: a folder (or an ``s3://`` prefix) holding ``tillroll.json``.

tillroll reads, recovers, quarantines and compacts only inside a cassette. It creates one
only where nothing is yet: a path that does not exist, or an empty folder. A folder of
somebody else's that happens to hold Parquet files is refused in one sentence that says
what is in it, before anything is moved, renamed or written there.

The checks here are pure over a listing (names relative to the cassette's root), so the
local folder and the object-storage prefix are judged by the same words.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Iterable

from .exchange import SCHEMA_VERSION
from .layout import CassetteError

MANIFEST = "tillroll.json"
FORMAT = "tillroll-cassette"
LISTED = 3  # names shown before "and N more"
LOOKED_AT = 10_000  # entries of a foreign folder looked at to describe it, at most


class NotACassette(CassetteError):
    """The path is not a cassette (or cannot become one): one sentence, naming what is there."""


def manifest_text(**extra) -> str:
    """The ``tillroll.json`` a new cassette gets."""
    return json.dumps({"format": FORMAT, "schema_version": SCHEMA_VERSION, **extra}, indent=2) + "\n"


def is_manifest(text: str | bytes) -> bool:
    """Whether *text* is a ``tillroll.json`` that tillroll wrote."""
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("format") == FORMAT


def is_own_temporary(name: str) -> bool:
    """A manifest another writer is writing at this moment (see :func:`init_cassette`)."""
    return name.startswith(f".{MANIFEST}.") and name.endswith(".tmp")


def held(names: Iterable[str], more: bool = False) -> str:
    """What a folder holds, in a few words ("1 Parquet file and README.txt"; "" when
    nothing). *names* are paths relative to it (``/`` separated; a trailing ``/`` marks an
    empty folder); *more* says the listing was cut short."""
    names = [n for n in names if not is_own_temporary(n.rsplit("/", 1)[-1])]
    parquet = [n for n in names if n.endswith(".parquet")]
    top = sorted({n.split("/", 1)[0] + ("/" if "/" in n else "") for n in names if not n.endswith(".parquet")})
    parts = []
    if parquet:
        parts.append(f"{len(parquet):,}{'+' if more else ''} Parquet file{'s' if len(parquet) != 1 else ''}")
    parts += top[:LISTED]
    if len(top) > LISTED:
        parts.append(f"{len(top) - LISTED:,} more")
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def describe(names: Iterable[str], more: bool = False) -> str:
    """Why a folder that is not a cassette is not one, for the user: "it holds 1 Parquet file
    and README.txt: was it written by another tool?"."""
    names = list(names)
    what = held(names, more)
    if not what:
        return "it is an empty folder"
    parquet = any(n.endswith(".parquet") for n in names)
    hint = "was it written by another tool?" if parquet else "is it the right folder?"
    return f"it holds {what}: {hint}"


def not_a_cassette(where: str, why: str) -> NotACassette:
    return NotACassette(f"{where} is not a tillroll cassette (no {MANIFEST}): {why}")


# -- a folder on this machine -------------------------------------------------------------------

def listing(root: Path) -> tuple[list[str], bool]:
    """The names under *root* (relative, folders ending in ``/``), at most :data:`LOOKED_AT`;
    and whether there were more. Reads names only, never a file."""
    names: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        if not dirnames and not filenames and prefix:
            names.append(prefix)
        names += [prefix + f for f in filenames]
        if len(names) >= LOOKED_AT:
            return names[:LOOKED_AT], True
    return names, False


def check_cassette(root: Path) -> Path:
    """*root* if it is a cassette; else :class:`NotACassette` saying what it is instead."""
    manifest = root / MANIFEST
    if manifest.is_file():
        try:
            text = manifest.read_bytes()[:65536]
        except OSError as exc:
            raise CassetteError(f"cannot read {manifest}: {exc.strerror or exc}") from None
        if is_manifest(text):
            return root
        raise NotACassette(f"{root} is not a tillroll cassette: its {MANIFEST} is not one tillroll wrote "
                           "(no \"format\": \"tillroll-cassette\"): was it written by another tool?")
    if not root.exists():
        raise not_a_cassette(str(root), "nothing is there: check the path, or record one with "
                                        f"`tillroll record {root}`")
    if not root.is_dir():
        raise not_a_cassette(str(root), "it is a file, and a cassette is a folder: check the path")
    raise not_a_cassette(str(root), describe(*listing(root)))


def check_new_cassette(root: Path) -> None:
    """Raise :class:`NotACassette` unless tillroll may write a cassette at *root*: nothing
    there yet, an empty folder, or a cassette already (writers append)."""
    if (root / MANIFEST).is_file():
        check_cassette(root)
        return
    if not root.exists():
        return
    if not root.is_dir():
        raise NotACassette(f"{root} is a file, and a cassette is a folder: choose a new folder")
    names, more = listing(root)
    if MANIFEST in names:  # another writer made it a cassette since the look above
        check_cassette(root)
        return
    if any(not is_own_temporary(n) for n in names):
        raise NotACassette(f"{root} is not a tillroll cassette (no {MANIFEST}) and not empty: "
                           f"it holds {held(names, more)}; tillroll writes only into a new or empty "
                           "folder or an existing cassette: choose a new folder "
                           f"(e.g. {root.parent / (root.name + '-cassette')})")


def init_cassette(root: Path) -> None:
    """Make *root* a cassette (idempotent; safe with concurrent writers). Refuses, with
    :class:`NotACassette`, a folder that is neither empty nor a cassette: nothing is written."""
    check_new_cassette(root)
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / MANIFEST
    if manifest.exists():
        return
    tmp = root / f".{MANIFEST}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"  # each writer its own; is_own_temporary
    tmp.write_text(manifest_text())
    os.replace(tmp, manifest)
