"""Warnings that repeat: the first of each kind said at once, the rest counted and said
together at most once an interval.

A recorder that cannot write (its queue full under a burst, a disk gone) fails for every
exchange after the first, thousands a second: one line each buried the proxy's own output
and cost the busy process the time of formatting and writing them.
"""

from __future__ import annotations

import collections
import logging
import time
from typing import Callable

INTERVAL = 10.0  # seconds between two lines about the same kind of failure
KINDS_KEPT = 64  # distinct kinds counted apart; the rest share one count


class RepeatedWarnings:
    """``warn(kind, message, *args)`` logs *message* the first time *kind* comes; later ones
    are counted, and ``"<n> more <plural>: <kind>"`` is logged when the interval since the
    last line about *kind* has passed (on the next one that comes) and at :meth:`close`."""

    def __init__(self, logger: logging.Logger, plural: str, *, interval: float = INTERVAL,
                 clock: Callable[[], float] = time.monotonic):
        self._log, self._plural, self._interval, self._clock = logger, plural, interval, clock
        self._said: dict[str, float] = {}  # kind -> when a line about it was last logged
        self._held: collections.Counter[str] = collections.Counter()  # kind -> not said yet

    def warn(self, kind: str, message: str, *args) -> None:
        now = self._clock()
        if kind not in self._said and len(self._said) >= KINDS_KEPT:
            kind = "other failures"
        last = self._said.get(kind)
        if last is None:
            self._said[kind] = now
            self._log.warning(message, *args)
            return
        self._held[kind] += 1
        if now - last >= self._interval:
            self._say(kind, now)

    def close(self) -> None:
        """Say what is still counted."""
        for kind in list(self._held):
            self._say(kind, self._clock())

    def _say(self, kind: str, now: float) -> None:
        n = self._held.pop(kind, 0)
        self._said[kind] = now
        if n:
            self._log.warning("tillroll: %d more %s: %s", n, self._plural, kind)
