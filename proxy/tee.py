"""A stream tee: forwards every chunk of a streamed body unchanged, keeps the first bytes."""

from __future__ import annotations


class Tee:
    """Use as ``flow.response.stream = Tee(limit)``; ``kept`` holds up to *limit* bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self._parts: list[bytes] = []
        self._kept = 0
        self.total = 0

    def __call__(self, chunk: bytes) -> bytes:
        self.total += len(chunk)
        if self._kept < self.limit and chunk:
            piece = chunk[: self.limit - self._kept]
            self._parts.append(piece)
            self._kept += len(piece)
        return chunk

    @property
    def kept(self) -> bytes:
        return b"".join(self._parts)
