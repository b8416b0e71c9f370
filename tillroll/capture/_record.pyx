# cython: language_level=3, boundscheck=False, wraparound=False
"""What the pipeline checks of a whole record, compiled: which texts are not ASCII (only they
can hold a lone surrogate: ``pipeline._non_ascii_fields``, ``pipeline._ascii_pairs``), and
the sweep's first test for all remembered values at once (``sweep._needle`` and the search
of ``Sweep.needed``). The pure functions are the oracle and the fallback."""

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object text)


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


def sweep_candidates(str text, values, Py_ssize_t min_length):
    """``Sweep.needed``'s first test, for all values at once: the values at least
    *min_length* long whose needle stands in *text* (or that have none); the others
    certainly stand nowhere in it, in no form."""
    cdef list out = []
    cdef str value, found
    for value in values:
        if len(value) < min_length:
            continue
        found = needle(value)
        if not found or found in text:
            out.append(value)
    return out
