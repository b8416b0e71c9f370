"""Which recording answers the next request with a given key (pure, deterministic).

Requests with the same key get their recordings in recorded order: a POS that asks for
a balance before and after a redemption sees it change. When a sequence is used up the
policy says what happens: ``repeat`` the last (default), ``cycle`` from the first, or
``error``. :meth:`Playback.reset` rewinds every sequence.
"""

from __future__ import annotations

import collections
from collections.abc import Hashable

POLICIES = ("repeat", "cycle", "error")


class Exhausted(Exception):
    def __init__(self, recorded: int):
        super().__init__(f"all {recorded} recording(s) of this request were already served")
        self.recorded = recorded


class Playback:
    def __init__(self, index: dict[Hashable, list[int]], policy: str = "repeat"):
        """*index*: each key's rows in recorded order (replay's keys are the idents of
        :mod:`replay.key_index`, not the texts)."""
        if policy not in POLICIES:
            raise ValueError(f"unknown sequence policy {policy!r}; use one of {', '.join(POLICIES)}")
        self.index = index
        self.policy = policy
        self._next: dict[Hashable, int] = {}
        self.served: collections.Counter[int] = collections.Counter()

    def next(self, key: Hashable) -> int | None:
        """The row to serve for *key*; None when nothing was recorded with it.
        Raises :class:`Exhausted` under the ``error`` policy."""
        rows = self.index.get(key)
        if not rows:
            return None
        i = self._next.get(key, 0)
        if i >= len(rows):
            if self.policy == "error":
                raise Exhausted(len(rows))
            i = len(rows) - 1 if self.policy == "repeat" else 0
        self._next[key] = i + 1
        row = rows[i]
        self.served[row] += 1
        return row

    def position(self, key: Hashable) -> int:
        """How far *key*'s sequence is: its next recording's index (0: none served yet)."""
        return self._next.get(key, 0)

    def reset(self) -> None:
        self._next.clear()
        self.served.clear()

    def unused(self) -> list[int]:
        """Rows never served, in recorded order."""
        return sorted(row for rows in self.index.values() for row in rows if row not in self.served)
