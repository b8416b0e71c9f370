# What the walks over one-byte text take from _key_table (cimport).

from libc.stdint cimport uint64_t

cdef uint64_t fnv(const unsigned char *s, Py_ssize_t n) noexcept


cdef class KeyTable:
    cdef list entries
    cdef uint64_t *hashes
    cdef int *slots  # an entry's index + 1; 0: empty

    cdef tuple find(self, const unsigned char *s, Py_ssize_t n, uint64_t h)
    cdef int insert(self, tuple entry, uint64_t h) except -1
