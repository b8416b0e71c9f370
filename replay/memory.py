"""What a replay keeps of its recordings in memory, within a byte budget (``--memory``).

A request recorded many times is answered, serve after serve, with a recording never
served before, anywhere in the cassette; reading its Parquet row group again for each
step costs milliseconds. So when a row group is read, the recordings in it that a
sequence being walked will serve next are built and kept (*ahead*), and the group is
dropped: what sequences need, not whole decoded groups. Built responses live in three
pools, evicted in this order when the budget is full:

1. *passed*: served, and their request's sequence has moved past them (needed again only
   after a rewind, or by ``--sequence cycle``), least recently served first;
2. *ahead*: read with a row group for a sequence, not served yet; those needed last
   first, as far as can be told: a row *n* steps ahead of a sequence served *s* times so
   far comes after about *n / s* more of what was served (sequences walked faster reach
   their rows sooner);
3. *served*: served, and served again for the next request with their key (a request
   recorded once, the last recording of a sequence), least recently served first.

The bytes counted are an estimate of what a kept response holds (:func:`kept_bytes`: its
body twice, once more in the prebuilt bytes of ``replay.wire``, its headers, the objects).
"""

from __future__ import annotations

import collections
import heapq
import re
import threading

# The default --memory. At a million exchanges the loaded index is ~0.6 GB resident (the
# keys' digests and their rows, the columns serving reads): with 512 MiB on top replay serves
# in ~1.25 GiB; a repeated-request load there serves as fast with it as with 1 GiB (RESULTS.md).
DEFAULT_MEMORY = 512 << 20
GROUPS_SHARE = 16  # decoded row groups (a few, for rows read in recorded order) get 1/16 of the budget
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
          "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)
MIN_MEMORY = 1 << 20  # less would keep nothing: every serve would read its row group again

SERVED, PASSED = "served", "passed"


def parse_size(text: str) -> int:
    """``512M`` -> 536870912, ``1G``/``1GiB``/``1gb`` -> 1073741824, ``2048`` -> bytes (units
    are powers of 1024). Raises ``ValueError`` with the fix."""
    m = _SIZE.fullmatch(text or "")
    unit = m and _UNITS.get(m.group(2).lower())
    if not unit:
        raise ValueError(f"{text!r} is not a size: use one such as 512M, 1G or 1.5G (bytes, K, M, G, T)")
    size = int(float(m.group(1)) * unit)
    if size < MIN_MEMORY:
        raise ValueError(f"{text!r} is too small to keep any recording: use at least 1M")
    return size


def describe_size(size: int, short: bool = False) -> str:
    """``1073741824`` -> ``1 GiB``, ``536870912`` -> ``512 MiB`` (*short*: ``1G``, ``512M``,
    as :func:`parse_size` reads them)."""
    for unit, name in ((1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")):
        if size >= unit:
            return f"{size / unit:.4g}{name}" if short else f"{size / unit:.4g} {name}iB"
    return f"{size}" if short else f"{size} bytes"


def kept_bytes(recorded) -> int:
    """What keeping *recorded* costs: its body twice (``replay.wire``'s prebuilt bytes hold it
    again, with the header lines), its header pairs' text twice and their objects, the rest
    (measured with ``tracemalloc``: about 700 bytes of objects for a response and its
    prebuilt bytes, 150 a header pair). A response read ahead and not served yet has no
    prebuilt bytes, but is counted the same: counted as what it holds alone (about half),
    the process grew 300 MB past a 512 MiB budget at a million exchanges (the allocators
    keep what the row groups read for them left behind)."""
    text = len(recorded.body)
    for name, value in recorded.headers:
        text += len(name) + len(value)
    return 2 * text + 150 * len(recorded.headers) + 700


class KeptResponses:
    """Built responses by row, within *budget* bytes (see the module's docstring).

    :meth:`get` runs for every request served: one dict lookup and one LRU touch, no
    lock; adding and evicting (from any thread) take the lock."""

    def __init__(self, budget: int):
        self.budget = budget
        self.bytes = 0
        self._rows: dict[int, object] = {}  # row -> Recorded, whatever its pool
        self._served: collections.OrderedDict[int, int] = collections.OrderedDict()  # row -> bytes, LRU
        self._passed: collections.OrderedDict[int, int] = collections.OrderedDict()
        self._ahead: dict[int, tuple[int, str]] = {}  # row -> (bytes, its pool once served)
        self._last_needed: list[tuple[float, int]] = []  # (-how late it is needed, row) of the ahead ones
        # (a heap; rows gone from _ahead are skipped)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, row: int) -> bool:
        return row in self._rows

    def pools(self) -> dict[str, int]:
        """How many responses each pool holds."""
        return {SERVED: len(self._served), PASSED: len(self._passed), "ahead": len(self._ahead)}

    def get(self, row: int):
        """The response kept for *row*, or None; counts as served."""
        hit = self._rows.get(row)
        if hit is None:
            return None
        try:
            if row in self._served:
                self._served.move_to_end(row)
            elif row in self._passed:
                self._passed.move_to_end(row)
            else:
                self._serve_ahead(row)
        except KeyError:  # evicted meanwhile by another thread: still a good answer
            pass
        return hit

    def _serve_ahead(self, row: int) -> None:
        with self._lock:
            entry = self._ahead.pop(row, None)
            if entry is not None:
                size, pool = entry
                (self._passed if pool == PASSED else self._served)[row] = size

    def serve(self, row: int, recorded, pool: str = SERVED) -> None:
        """Keep *recorded*, just read for *row* and served, in *pool* (SERVED or PASSED)."""
        size = kept_bytes(recorded)
        with self._lock:
            self._drop(row)
            self._rows[row] = recorded
            (self._passed if pool == PASSED else self._served)[row] = size
            self.bytes += size
            self._evict()

    def keep_ahead(self, rows: list[tuple[int, object, str, float]]) -> None:
        """Keep ``(row, recorded, pool once served, how late it is needed)`` for sequences'
        next serves (the latest needed go first when the budget is full)."""
        with self._lock:
            for row, recorded, pool, late in rows:
                if row in self._rows:
                    continue
                size = kept_bytes(recorded)
                self._rows[row] = recorded
                self._ahead[row] = (size, pool)
                heapq.heappush(self._last_needed, (-late, row))
                self.bytes += size
            self._evict()

    def _drop(self, row: int) -> None:
        if self._rows.pop(row, None) is None:
            return
        for pool in (self._served, self._passed):
            size = pool.pop(row, None)
            if size is not None:
                self.bytes -= size
                return
        self.bytes -= self._ahead.pop(row)[0]

    def _evict(self) -> None:
        while self.bytes > self.budget:
            if self._passed:
                row, size = self._passed.popitem(last=False)
            elif self._ahead:
                row = heapq.heappop(self._last_needed)[1]
                entry = self._ahead.pop(row, None)
                if entry is None:  # served since (or dropped): its heap entry is stale
                    continue
                size = entry[0]
            elif self._served:
                row, size = self._served.popitem(last=False)
            else:
                break
            del self._rows[row]
            self.bytes -= size
        if len(self._last_needed) > 2 * len(self._ahead) + 1024:  # stale entries of rows served since
            self._last_needed = [entry for entry in self._last_needed if entry[1] in self._ahead]
            heapq.heapify(self._last_needed)
