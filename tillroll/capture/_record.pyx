# cython: language_level=3, boundscheck=False, wraparound=False
"""What the pipeline checks of a whole record, compiled: which texts are not ASCII (only they
can hold a lone surrogate: ``pipeline._non_ascii_fields``, ``pipeline._ascii_pairs``), and
the sweep's first test for all remembered values at once (``sweep._needle`` and the search
of ``Sweep.needed``), and its filter (:class:`Grams`: ``sweep.grams_may_hold`` and
``sweep.may_stand``, one pass over the exchange's texts after which most remembered values
are known absent without a search). The pure functions are the oracle and the fallback."""

from libc.stdint cimport uint32_t
from libc.string cimport memset

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object text)
    int PyUnicode_KIND(object text)
    void *PyUnicode_DATA(object text)
    Py_UCS4 PyUnicode_READ(int kind, void *data, Py_ssize_t index) nogil


def non_ascii_fields(object ex, tuple names):
    """``pipeline._non_ascii_fields``: the names of *ex*'s text fields (of *names*) holding
    text that is not ASCII: only they can hold a lone surrogate."""
    cdef list out = None
    for name in names:
        value = getattr(ex, name)
        if value is not None and not PyUnicode_IS_ASCII(value):
            if out is None:
                out = []
            out.append(name)
    return () if out is None else out


def ascii_pairs(list pairs):
    """``pipeline._ascii_pairs``: every name and value of *pairs* is ASCII text."""
    for a, b in pairs:
        if type(a) is not str or type(b) is not str or not PyUnicode_IS_ASCII(a) or not PyUnicode_IS_ASCII(b):
            return False
    return True


cdef inline bint _plain_char(Py_UCS4 c) noexcept:
    return (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122) or c == 46 or c == 95 or c == 126 or c == 45


cdef inline bint _alnum(Py_UCS4 c) noexcept:
    return (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122)


def needle(str value):
    """``sweep._needle``: what stands, unchanged, in every form of *value*: the value
    itself when it holds only ``[A-Za-z0-9._~-]``, else its longest run of ASCII letters
    and digits (the first of the longest), "" when it has none."""
    cdef Py_ssize_t i, n = len(value), start = -1, best_start = 0, best_len = 0
    cdef Py_UCS4 c
    cdef bint plain = True
    for i in range(n):
        c = value[i]
        if not _plain_char(c):
            plain = False
            break
    if plain:
        return value
    for i in range(n + 1):
        if i < n and _alnum(value[i]):
            if start < 0:
                start = i
        elif start >= 0:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = -1
    return value[best_start:best_start + best_len]


# -- the sweep's filter ------------------------------------------------------------------------

cdef inline uint32_t _gram(uint32_t run) noexcept:
    """``sweep._gram``: where a run of four characters (folded to their low bytes, the first
    in the high byte) falls in the 65,536-bit table."""
    return (run * <uint32_t>2654435761u) >> 16


cdef class Grams:
    """``sweep.grams_may_hold`` for one text, read once: which runs of four adjacent
    characters it holds (each folded to its low byte, hashed into a 65,536-bit table).
    :meth:`may_hold` false: the needle is certainly not in the text; true: it may be.
    :func:`sweep_candidates` asks it of each value's needle."""

    cdef unsigned char bits[8192]

    def __cinit__(self, str text):
        cdef Py_ssize_t n = len(text), i
        cdef int kind = PyUnicode_KIND(text)
        cdef void *data = PyUnicode_DATA(text)
        cdef const unsigned char *p
        cdef uint32_t run = 0, at
        memset(self.bits, 0, sizeof(self.bits))
        if kind == 1:
            p = <const unsigned char *>data
            for i in range(n):
                run = (run << 8) | p[i]
                if i >= 3:
                    at = _gram(run)
                    self.bits[at >> 3] |= <unsigned char>(1 << (at & 7))
        else:
            for i in range(n):
                run = (run << 8) | (<uint32_t>PyUnicode_READ(kind, data, i) & 0xFF)
                if i >= 3:
                    at = _gram(run)
                    self.bits[at >> 3] |= <unsigned char>(1 << (at & 7))

    def may_hold(self, str needle):
        return self._holds(needle, 0, len(needle))

    cdef bint _holds(self, str needle, Py_ssize_t start, Py_ssize_t end):
        """Whether every run of four characters of needle[start:end] is in the table."""
        cdef Py_ssize_t i
        cdef int kind = PyUnicode_KIND(needle)
        cdef void *data = PyUnicode_DATA(needle)
        cdef uint32_t run = 0, at
        if end - start < 4:
            return True
        for i in range(start, end):
            run = (run << 8) | (<uint32_t>PyUnicode_READ(kind, data, i) & 0xFF)
            if i - start >= 3:
                at = _gram(run)
                if not (self.bits[at >> 3] & (1 << (at & 7))):
                    return False
        return True


def sweep_candidates(str text, values, Py_ssize_t min_length, Grams grams=None):
    """``Sweep.needed``'s first test, for all values at once: the values at least
    *min_length* long whose needle stands in *text* (or that have none); the others
    certainly stand nowhere in it, in no form. *grams*, the text's :class:`Grams` when
    built, rules most needles out before their search (each needle is found once)."""
    cdef list out = []
    cdef str value, found
    for value in values:
        if len(value) < min_length:
            continue
        found = needle(value)
        if not found or ((grams is None or grams._holds(found, 0, len(found))) and found in text):
            out.append(value)
    return out
