# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""What the vendor profiles read of a JSON body, without parsing the body into objects.

A profile declares the key paths it reads (:data:`tillroll.capture.vendors.base.Profile.reads`,
``outcome_reads``): ``{"RequestType": VALUE, "Parameters": KIND, "outHTTP": {"body": {...}}}``.
:func:`outline` checks in one scan over the text's bytes that it is JSON as
:func:`tillroll.capture.jsonish.loads` accepts it, and builds only what is declared: a
member read as a ``VALUE`` is decoded whole (by the standard decoder's C scanner, at its
span), one read for its ``KIND`` only is an empty object or array of its kind (scalars are
decoded), one read as a nested declaration is an object holding only the members declared
in it. Everything else is skipped, its syntax checked and nothing built.

It answers :data:`UNSURE` wherever it would not accept exactly what the parse accepts: text
that is not one-byte (ASCII or Latin-1), a scalar at the top, ``NaN``/``Infinity``, a number
that may not fit a float (more than 200 digits before the point, or with its exponent
above 10^300), deeper than 100 levels, a declared level holding a key spelt with an escape, or
anything not valid JSON: the caller then parses the text the standard way, which decides.
So this never accepts what the parse would refuse; it may refuse what the parse accepts.
"""

import json as _json

from libc.string cimport memchr, memcmp

cdef extern from "Python.h":
    int PyUnicode_KIND(object text)
    void *PyUnicode_DATA(object text)

UNSURE = object()  # the text is left to the standard parse
VALUE = True  # a declared member read whole
KIND = False  # a declared member read for its kind only (object, array, or the scalar)

cdef object _UNSURE = UNSURE
cdef object _scan_once = _json.JSONDecoder().scan_once  # the standard decoder's C scanner
cdef dict _compiled = {}  # id(declaration) -> (declaration, _Reads)

cdef enum:
    _DEEPEST = 100  # jsonish.MAX_DEPTH: levels of objects and arrays the parse accepts
    _INT_DIGITS = 200  # digits before the point read without a doubt that the number fits
    _MAGNITUDE = 300  # digits before the point and exponent, at most: surely below a float's 1.8e308
    _KIND = 0
    _VALUE = 1
    _NESTED = 2


cdef class _Reads:
    """A declaration compiled: its names as bytes (Latin-1), what is read of each."""
    cdef list names  # bytes
    cdef list keys  # str, the names as the result's keys
    cdef list kinds  # int
    cdef list children  # _Reads or None

    def __init__(self, dict declaration):
        self.names, self.keys, self.kinds, self.children = [], [], [], []
        for name, child in declaration.items():
            try:
                raw = name.encode("latin-1")
            except UnicodeEncodeError:  # never the name of a member of one-byte text
                continue
            self.names.append(raw)
            self.keys.append(name)
            if type(child) is dict:
                self.kinds.append(_NESTED)
                self.children.append(_Reads(child))
            else:
                self.kinds.append(_VALUE if child else _KIND)
                self.children.append(None)

    cdef Py_ssize_t find(self, const unsigned char *name, Py_ssize_t length):
        """The index of the declared member spelt *name* (unescaped bytes), -1 when none."""
        cdef Py_ssize_t k
        cdef bytes known
        for k in range(len(self.names)):
            known = <bytes>self.names[k]
            if len(known) == length and memcmp(<const char *>known, name, length) == 0:
                return k
        return -1


cdef _Reads _reads_of(dict declaration):
    entry = _compiled.get(id(declaration))
    if entry is not None and entry[0] is declaration:
        return entry[1]
    reads = _Reads(declaration)
    if len(_compiled) < 64:  # declarations are the profiles' constants: a handful
        _compiled[id(declaration)] = (declaration, reads)
    return reads


def outline(str text, dict declaration):
    """The JSON *text* (stripped, as ``jsonish.parse`` reads it) with only what *declaration*
    names built, or :data:`UNSURE`."""
    if PyUnicode_KIND(text) != 1 or len(text) == 0:
        return _UNSURE
    cdef _Outline o = _Outline(text)
    cdef unsigned char first = o.s[0]
    if first != 123 and first != 91:  # { [
        return _UNSURE
    cdef Py_ssize_t end = 0
    value = o.collect(0, _reads_of(declaration), 1, &end)
    if end < 0 or o.ws(end) != o.n:
        return _UNSURE
    return value


cdef inline bint _digit(unsigned char c):
    return 48 <= c <= 57


cdef inline bint _hex(unsigned char c):
    return (48 <= c <= 57) or (97 <= c <= 102) or (65 <= c <= 70)


cdef class _Outline:
    cdef object text
    cdef const unsigned char *s
    cdef Py_ssize_t n

    def __cinit__(self, str text):
        self.text = text
        self.s = <const unsigned char *>PyUnicode_DATA(text)
        self.n = len(text)

    cdef inline Py_ssize_t ws(self, Py_ssize_t i):
        cdef const unsigned char *s = self.s
        while i < self.n and (s[i] == 32 or s[i] == 10 or s[i] == 13 or s[i] == 9):
            i += 1
        return i

    cdef Py_ssize_t string(self, Py_ssize_t i):
        """The end of the string token at *i* (its opening quote), -1 when not strict JSON."""
        cdef const unsigned char *s = self.s
        cdef Py_ssize_t n = self.n
        cdef unsigned char c
        i += 1
        while i < n:
            c = s[i]
            if c == 34:  # "
                return i + 1
            if c == 92:  # \
                i += 1
                if i >= n:
                    return -1
                c = s[i]
                if c == 117:  # u and four hex digits
                    if i + 4 >= n or not (_hex(s[i + 1]) and _hex(s[i + 2]) and _hex(s[i + 3]) and _hex(s[i + 4])):
                        return -1
                    i += 5
                    continue
                if not (c == 34 or c == 92 or c == 47 or c == 98 or c == 102 or c == 110 or c == 114 or c == 116):
                    return -1
            elif c < 32:  # a raw control character: the strict parse refuses it
                return -1
            i += 1
        return -1

    cdef Py_ssize_t number(self, Py_ssize_t i):
        """The end of the number token at *i*, -1 when not JSON or not surely a finite float."""
        cdef const unsigned char *s = self.s
        cdef Py_ssize_t n = self.n, start, digits = 0, exponent
        cdef bint negative
        if s[i] == 45:  # -
            i += 1
            if i >= n:
                return -1
        start = i
        if s[i] == 48:  # 0
            i += 1
        elif 49 <= s[i] <= 57:
            while i < n and _digit(s[i]):
                i += 1
            digits = i - start
            if digits > _INT_DIGITS:
                return -1
        else:  # -Infinity, or not a number
            return -1
        if i < n and s[i] == 46:  # .
            i += 1
            if i >= n or not _digit(s[i]):
                return -1
            while i < n and _digit(s[i]):
                i += 1
        if i < n and (s[i] == 101 or s[i] == 69):  # e E
            i += 1
            negative = i < n and s[i] == 45
            if i < n and (s[i] == 43 or s[i] == 45):
                i += 1
            start = i
            exponent = 0
            while i < n and _digit(s[i]):
                if exponent < 100000:
                    exponent = exponent * 10 + (s[i] - 48)
                i += 1
            if i == start:
                return -1
            if not negative and digits + exponent > _MAGNITUDE:  # perhaps past a float's range
                return -1
        return i

    cdef Py_ssize_t skip(self, Py_ssize_t i, int level):
        """The end of the value at *i* (its syntax checked, nothing built), -1 when unsure.
        *level*: the nesting level an object or array there would open."""
        cdef const unsigned char *s = self.s
        cdef Py_ssize_t n = self.n
        cdef unsigned char c, close
        if i >= n:
            return -1
        c = s[i]
        if c == 34:
            return self.string(i)
        if c == 123 or c == 91:  # { [
            if level > _DEEPEST:
                return -1
            close = 125 if c == 123 else 93
            i = self.ws(i + 1)
            if i < n and s[i] == close:
                return i + 1
            while True:
                if c == 123:
                    if i >= n or s[i] != 34:
                        return -1
                    i = self.string(i)
                    if i < 0:
                        return -1
                    i = self.ws(i)
                    if i >= n or s[i] != 58:  # :
                        return -1
                    i = self.ws(i + 1)
                i = self.skip(i, level + 1)
                if i < 0:
                    return -1
                i = self.ws(i)
                if i >= n:
                    return -1
                if s[i] == 44:  # ,
                    i = self.ws(i + 1)
                    continue
                if s[i] == close:
                    return i + 1
                return -1
        if c == 116:  # t
            return i + 4 if i + 4 <= n and memcmp(s + i, b"true", 4) == 0 else -1
        if c == 102:  # f
            return i + 5 if i + 5 <= n and memcmp(s + i, b"false", 5) == 0 else -1
        if c == 110:  # n
            return i + 4 if i + 4 <= n and memcmp(s + i, b"null", 4) == 0 else -1
        return self.number(i)

    cdef object member(self, Py_ssize_t i, int kind, _Reads child, int level, Py_ssize_t *end):
        """What is read of the value at *i*; its end in *end* (-1 when unsure)."""
        cdef unsigned char c
        if kind == _NESTED:
            return self.collect(i, child, level, end)
        end[0] = self.skip(i, level)
        if end[0] < 0:
            return None
        c = self.s[i]
        if kind == _KIND and c == 123:
            return {}
        if kind == _KIND and c == 91:
            return []
        return _scan_once(self.text, i)[0]

    cdef object collect(self, Py_ssize_t i, _Reads reads, int level, Py_ssize_t *end):
        """The object at *i* with only the members *reads* declares; an array or a scalar
        there is read for its kind. Its end in *end* (-1 when unsure)."""
        cdef const unsigned char *s = self.s
        cdef Py_ssize_t n = self.n, key_start, key_end, k
        cdef dict out
        if i >= n or s[i] != 123:
            return self.member(i, _KIND, None, level, end)
        if level > _DEEPEST:
            end[0] = -1
            return None
        out = {}
        i = self.ws(i + 1)
        if i < n and s[i] == 125:
            end[0] = i + 1
            return out
        while True:
            if i >= n or s[i] != 34:
                end[0] = -1
                return None
            key_start = i + 1
            i = self.string(i)
            if i < 0:
                end[0] = -1
                return None
            key_end = i - 1
            if memchr(s + key_start, 92, key_end - key_start) != NULL:  # an escape: which name is it?
                end[0] = -1
                return None
            i = self.ws(i)
            if i >= n or s[i] != 58:
                end[0] = -1
                return None
            i = self.ws(i + 1)
            k = reads.find(s + key_start, key_end - key_start)
            if k >= 0:  # named twice: the last one, as the parse keeps it
                out[reads.keys[k]] = self.member(i, reads.kinds[k], reads.children[k], level + 1, &i)
            else:
                i = self.skip(i, level + 1)
            if i < 0:
                end[0] = -1
                return None
            i = self.ws(i)
            if i >= n:
                end[0] = -1
                return None
            if s[i] == 44:
                i = self.ws(i + 1)
                continue
            if s[i] == 125:
                end[0] = i + 1
                return out
            end[0] = -1
            return None
