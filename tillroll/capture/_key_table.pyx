# cython: language_level=3, boundscheck=False, wraparound=False
"""Key names judged once: a table of what a walk over one-byte JSON text decided about each
name, found by the name's bytes (:class:`KeyTable`), for the redaction walk
(:mod:`tillroll.capture._byte_walk`) and the match key's reader
(:mod:`tillroll.capture._key_reader`). Compiled only: the pure path judges a name where it
meets it (its rule caches are dicts keyed by the name)."""

from libc.stdlib cimport calloc, free
from libc.string cimport memcmp

cdef extern from "Python.h":
    int PyUnicode_KIND(object text)
    void *PyUnicode_DATA(object text)

cdef enum:
    _FIRST_SLOTS = 64  # grown by doubling: a table of a vendor's hundred names stays in the L1 cache
    _NAMES_KEPT = 4096  # as the Pass's rule cache (redact.RULES_KEPT): names come from the traffic


cdef uint64_t fnv(const unsigned char *s, Py_ssize_t n) noexcept:
    """FNV-1a of the *n* bytes at *s*."""
    cdef uint64_t h = 14695981039346656037ULL
    cdef Py_ssize_t i
    for i in range(n):
        h = (h ^ s[i]) * 1099511628211ULL
    return h


cdef class KeyTable:
    """What a walk over one-byte JSON text judged of each key name, found by the name's bytes
    (no string made, no dict asked, for a name seen before). An entry is a tuple whose first
    item is the name; what follows is the walk's. At most ``_NAMES_KEPT`` names: they come
    from the traffic, and the rest are judged each time. Open addressing over slots of
    (hash, entry), at least twice as many as the entries, grown as names come."""

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
        cdef tuple entry
        cdef str name
        while True:
            slot = &self.slots[at]
            if slot.index == 0:
                return None
            if slot.hash == h:
                entry = <tuple>self.entries[slot.index - 1]
                name = <str>entry[0]
                if len(name) == n and PyUnicode_KIND(name) == 1 and memcmp(PyUnicode_DATA(name), s, n) == 0:
                    return entry
            at = (at + 1) & self.mask

    cdef int insert(self, tuple entry, uint64_t h) except -1:
        """Keep *entry* (its name's bytes hash to *h*), when there is room."""
        cdef Py_ssize_t at
        if len(self.entries) >= _NAMES_KEPT:
            return 0
        if 2 * (len(self.entries) + 1) > self.mask + 1:
            self._grow()
        self.entries.append(entry)
        at = h & self.mask
        while self.slots[at].index != 0:
            at = (at + 1) & self.mask
        self.slots[at].hash = h
        self.slots[at].index = len(self.entries)
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
