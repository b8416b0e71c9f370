"""Deterministic identifiers and numbers for the sandbox.

Nothing in the sandbox calls ``uuid4`` or an unseeded ``random``: every id, amount and
choice is a hash of the app's seed and a description of what is being named (a counter
value, a location and an hour, ...). Two apps made with the same seed therefore answer the
same requests with the same bytes, and a different seed gives different data.
"""

from __future__ import annotations

import hashlib

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def digest(seed: int, *parts: object) -> bytes:
    """32 bytes that depend only on *seed* and the string forms of *parts*."""
    text = "\x1f".join([str(seed), *map(str, parts)])
    return hashlib.sha256(text.encode()).digest()


def number(seed: int, *parts: object, below: int) -> int:
    """A deterministic integer in ``range(below)``."""
    return int.from_bytes(digest(seed, *parts)[:8], "big") % below


def guid(seed: int, *parts: object, upper: bool = False) -> str:
    """A UUID-shaped string (8-4-4-4-12 hex), lowercase unless *upper*."""
    h = digest(seed, *parts)[:16].hex()
    text = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"
    return text.upper() if upper else text


def token(seed: int, *parts: object, length: int = 26) -> str:
    """A lowercase base-36 string of *length* characters (SpotOn-style ids)."""
    n = int.from_bytes(digest(seed, *parts), "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, 36)
        out.append(BASE36[r])
    return "".join(out)


def to_base36(n: int, width: int) -> str:
    """*n* (>= 0) in base 36, left-padded with zeros to *width*."""
    digits = []
    while n:
        n, r = divmod(n, 36)
        digits.append(BASE36[r])
    return "".join(reversed(digits)).rjust(width, "0")


class Counter:
    """Numbers handed out in order from a start derived from the seed (for reference numbers)."""

    def __init__(self, seed: int, name: str, *, base: int, spread: int = 100_000) -> None:
        self.start = base + number(seed, "counter", name, below=spread) * 10
        self.value = self.start

    def next(self) -> int:
        self.value += 1
        return self.value
