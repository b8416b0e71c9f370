# What the other compiled capture modules take from _native (cimport).

cdef bint _secret(str text) except -1
cdef int _ascii_secret(const unsigned char *s, Py_ssize_t n) noexcept
