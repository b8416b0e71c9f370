# What the walks over one-byte text take from _key_table (cimport).

from libc.stdint cimport uint64_t

cdef uint64_t name_hash(const unsigned char *s, Py_ssize_t n) noexcept


cdef struct Slot:
    uint64_t hash
    Py_ssize_t index  # an entry's index + 1; 0: empty
    const unsigned char *name  # the entry's name, its bytes (the entry keeps the string alive)
    Py_ssize_t length


cdef class KeyTable:
    cdef list entries
    cdef Slot *slots
    cdef Py_ssize_t mask  # slots - 1 (a power of two, at least twice the entries)

    cdef tuple find(self, const unsigned char *s, Py_ssize_t n, uint64_t h)
    cdef int insert(self, tuple entry, uint64_t h) except -1
    cdef int _grow(self) except -1
