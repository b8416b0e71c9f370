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
    _TABLE_SLOTS = 8192  # twice the names a table keeps
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
    from the traffic, and the rest are judged each time."""

    def __cinit__(self):
        self.entries = []
        self.hashes = <uint64_t *>calloc(_TABLE_SLOTS, sizeof(uint64_t))
        self.slots = <int *>calloc(_TABLE_SLOTS, sizeof(int))
        if self.hashes == NULL or self.slots == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.hashes)
        free(self.slots)

    def __len__(self):
        return len(self.entries)

    cdef tuple find(self, const unsigned char *s, Py_ssize_t n, uint64_t h):
        """The entry of the name spelled by the *n* bytes at *s* (one-byte text), or None."""
        cdef Py_ssize_t slot = h & (_TABLE_SLOTS - 1)
        cdef int index
        cdef tuple entry
        cdef str name
        while True:
            index = self.slots[slot]
            if index == 0:
                return None
            if self.hashes[slot] == h:
                entry = <tuple>self.entries[index - 1]
                name = <str>entry[0]
                if len(name) == n and PyUnicode_KIND(name) == 1 and memcmp(PyUnicode_DATA(name), s, n) == 0:
                    return entry
            slot = (slot + 1) & (_TABLE_SLOTS - 1)

    cdef int insert(self, tuple entry, uint64_t h) except -1:
        """Keep *entry* (its name's bytes hash to *h*), when there is room."""
        cdef Py_ssize_t slot = h & (_TABLE_SLOTS - 1)
        if len(self.entries) >= _NAMES_KEPT:
            return 0
        self.entries.append(entry)
        while self.slots[slot] != 0:
            slot = (slot + 1) & (_TABLE_SLOTS - 1)
        self.hashes[slot] = h
        self.slots[slot] = len(self.entries)
        return 0
