"""The recordings by match key, each key held as a 16-byte digest of its text.

At a million recordings the distinct match keys were ~250 MB of Python strings, the
largest part of what replay keeps loaded; only their identity is needed to serve, so the
index holds the first 16 bytes of each text's SHA-256 (49 bytes an object) and the texts
stay on disk (:mod:`replay.stored_keys`), read when a miss is explained. Two texts sharing
a digest are not expected before about 2**64 keys.

A live request's key is digested once when it is understood (:func:`ident`); sequences
(:class:`replay.playback.Playback`) walk :attr:`KeyIndex.rows`, which is keyed by it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from hashlib import sha256

from tillroll.capture.keyed_digest import text_digests

DIGEST_SIZE = 16


def ident(key: str) -> bytes:
    """The digest a key text is indexed by (of its UTF-8 bytes, as stored)."""
    return sha256(key.encode("utf-8")).digest()[:DIGEST_SIZE]


def idents(data: memoryview, offsets: Sequence[int]) -> list[bytes]:
    """:func:`ident` of each of the UTF-8 texts ``data[offsets[i]:offsets[i + 1]]`` (a column
    of texts as Arrow holds it), in C where compiled."""
    return text_digests(data, offsets, DIGEST_SIZE)


class KeyIndex:
    """Match key -> the rows recorded with it, in recorded order."""

    __slots__ = ("rows",)

    def __init__(self, rows: dict[bytes, list[int]] | None = None):
        self.rows: dict[bytes, list[int]] = {} if rows is None else rows  # by ident

    @classmethod
    def of(cls, row_idents: Iterable[bytes]) -> "KeyIndex":
        """The index of the rows 0, 1, ... whose keys have these idents."""
        rows: dict[bytes, list[int]] = {}
        known = rows.get
        for row, digest in enumerate(row_idents):  # (a million rows: no list made for nothing)
            same = known(digest)
            if same is None:
                rows[digest] = [row]
            else:
                same.append(row)
        return cls(rows)

    def get(self, key: str) -> list[int] | None:
        return self.rows.get(ident(key))

    def __getitem__(self, key: str) -> list[int]:
        return self.rows[ident(key)]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and ident(key) in self.rows

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, key: str, row: int) -> None:
        self.rows.setdefault(ident(key), []).append(row)

    def groups(self) -> Iterator[list[int]]:
        """The rows of each distinct key."""
        return iter(self.rows.values())
