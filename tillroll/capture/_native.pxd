# What the other compiled capture modules take from _native (cimport).

cdef bint _secret(str text) except -1
