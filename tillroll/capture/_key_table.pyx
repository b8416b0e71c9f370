# cython: language_level=3, boundscheck=False, wraparound=False
"""Key names judged once: a table of what a walk over one-byte JSON text decided about each
name, found by the name's bytes (:class:`KeyTable`), for the redaction walk
(:mod:`tillroll.capture._byte_walk`) and the match key's reader
(:mod:`tillroll.capture._key_reader`). Compiled only: the pure path judges a name where it
meets it (its rule caches are dicts keyed by the name)."""

from libc.stdlib cimport calloc, free
from libc.string cimport memcpy

cdef extern from "Python.h":
    int PyUnicode_KIND(object text)
    void *PyUnicode_DATA(object text)

cdef enum:
    _FIRST_SLOTS = 64  # grown by doubling: a table of a vendor's hundred names stays in the L1 cache
    _NAMES_KEPT = 4096  # as the Pass's rule cache (redact.RULES_KEPT): names come from the traffic


cdef uint64_t name_hash(const unsigned char *s, Py_ssize_t n) noexcept:
    """A hash of the *n* bytes at *s*, eight at a time (a key name is a word or two of them):
    each word mixed in by a multiply and a shift (the constants of MurmurHash3's finaliser)."""
    cdef uint64_t h = 0x9E3779B97F4A7C15ULL ^ <uint64_t>n
    cdef uint64_t w
    while n >= 8:
        memcpy(&w, s, 8)
        h = (h ^ w) * 0xff51afd7ed558ccdULL
        h ^= h >> 32
        s += 8
        n -= 8
    w = 0
    while n > 0:  # the last one to seven bytes (a loop: memcpy of a variable length is a call)
        n -= 1
        w = (w << 8) | s[n]
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL
    return h ^ (h >> 29)


cdef inline bint _same(const unsigned char *a, const unsigned char *b, Py_ssize_t n) noexcept:
    """``memcmp(a, b, n) == 0`` for the few bytes of a key name, without a call."""
    cdef uint64_t x, y
    while n >= 8:
        memcpy(&x, a, 8)
        memcpy(&y, b, 8)
        if x != y:
            return False
        a += 8
        b += 8
        n -= 8
    while n > 0:
        n -= 1
        if a[n] != b[n]:
            return False
    return True


cdef class KeyTable:
    """What a walk over one-byte JSON text judged of each key name, found by the name's bytes
    (no string made, no dict asked, for a name seen before). An entry is a tuple whose first
    item is the name; what follows is the walk's. At most ``_NAMES_KEPT`` names: they come
    from the traffic, and the rest are judged each time. Open addressing over slots of
    (hash, entry, the name's bytes: compared without touching the entry), at least twice
    as many as the entries, grown as names come."""

    def __cinit__(self):
        self.entries = []
        self.slots = <Slot *>calloc(_FIRST_SLOTS, sizeof(Slot))
        if self.slots == NULL:
            raise MemoryError()
        self.mask = _FIRST_SLOTS - 1

    def __dealloc__(self):
        free(self.slots)

    def __len__(self):
        return len(self.entries)

    cdef tuple find(self, const unsigned char *s, Py_ssize_t n, uint64_t h):
        """The entry of the name spelled by the *n* bytes at *s* (one-byte text), or None."""
        cdef Py_ssize_t at = h & self.mask
        cdef Slot *slot
        while True:
            slot = &self.slots[at]
            if slot.index == 0:
                return None
            if slot.hash == h and slot.length == n and _same(slot.name, s, n):
                return <tuple>self.entries[slot.index - 1]
            at = (at + 1) & self.mask

    cdef int insert(self, tuple entry, uint64_t h) except -1:
        """Keep *entry* (its name's bytes hash to *h*), when there is room."""
        cdef Py_ssize_t at
        cdef str name = <str>entry[0]
        if len(self.entries) >= _NAMES_KEPT or PyUnicode_KIND(name) != 1:
            return 0
        if 2 * (len(self.entries) + 1) > self.mask + 1:
            self._grow()
        self.entries.append(entry)
        at = h & self.mask
        while self.slots[at].index != 0:
            at = (at + 1) & self.mask
        self.slots[at].hash = h
        self.slots[at].index = len(self.entries)
        self.slots[at].name = <const unsigned char *>PyUnicode_DATA(name)
        self.slots[at].length = len(name)
        return 0

    cdef int _grow(self) except -1:
        """Twice the slots, every entry placed again."""
        cdef Py_ssize_t size = 2 * (self.mask + 1), i, at
        cdef Slot *old = self.slots
        cdef Slot *new = <Slot *>calloc(size, sizeof(Slot))
        if new == NULL:
            raise MemoryError()
        for i in range(self.mask + 1):
            if old[i].index != 0:
                at = old[i].hash & (size - 1)
                while new[at].index != 0:
                    at = (at + 1) & (size - 1)
                new[at] = old[i]
        self.slots, self.mask = new, size - 1
        free(old)
        return 0
