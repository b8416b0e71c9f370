# cython: language_level=3, boundscheck=False, wraparound=False
"""The match key read straight from a JSON text, compiled: ``canonical(clean(json.loads(text)))``
of :mod:`tillroll.capture.match_doc` written from the stored parameters' text (or the JSON
body) into one buffer, without building the value, cleaning it and encoding it. Objects'
members are put in order in the buffer only when they do not come sorted; key names are
judged once (a :class:`~tillroll.capture._key_table.KeyTable`).

It reads one-byte text (ASCII or Latin-1, nearly every body) and answers None where it is
not sure (other text, not strict JSON, a key named twice in one object, ``NaN``, a number
out of range, nesting past the limit, an escape making a character past Latin-1): the
caller then takes the document path, which is the oracle and decides."""

import json as _json
from json.encoder import encode_basestring as _quoted  # the standard encoder's own string escaping

from cpython.unicode cimport PyUnicode_DecodeLatin1
from libc.math cimport isfinite
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc, qsort, realloc
from libc.string cimport memcmp, memcpy

from tillroll.capture._key_table cimport KeyTable, name_hash

cdef extern from "Python.h":
    int PyUnicode_KIND(object text)
    void *PyUnicode_DATA(object text)

cdef object _loads = _json.loads
cdef Py_ssize_t _LONGEST_INT = 4000  # digits: past Python's int conversion limit json.loads refuses it
cdef str _PREFIX = "tillroll:"
cdef str _DROPPED = "tillroll:dropped"
cdef object _SECRET_LABELS = ()
cdef object _UNMATCHED = ()
cdef object _normalise = None
cdef Py_ssize_t _JUDGED_KEPT = 0
cdef int _MAX_DEPTH = 0


def configure_reader(str prefix, str dropped, secret_labels, unmatched, normalise, Py_ssize_t judged_kept,
                     int max_depth):
    """What match_doc left out of matching, how many judged names a memo keeps, how deep a
    document may nest (the parser's limit)."""
    global _PREFIX, _DROPPED, _SECRET_LABELS, _UNMATCHED, _normalise, _JUDGED_KEPT, _MAX_DEPTH
    _PREFIX, _DROPPED, _SECRET_LABELS, _UNMATCHED = prefix, dropped, secret_labels, unmatched
    _normalise, _JUDGED_KEPT, _MAX_DEPTH = normalise, judged_kept, max_depth


cdef bint _secret_value(object value) except -1:
    """``match_doc._secret_value``: a secret's pseudonym or a dropped value."""
    if type(value) is not str or not (<str>value).startswith(_PREFIX):
        return False
    return value == _DROPPED or (<str>value).split(":", 2)[1] in _SECRET_LABELS


def clean_canonical(str text, rule_for, left_out, dict skipped, KeyTable table not None):
    """``canonical(clean(json.loads(text), rule_for, left_out, skipped))``, or None where this
    reader is not sure (see the module). *table*: the key names judged so far for this
    rule set and *left_out*; *skipped*: match_doc's memo of the same judgements."""
    cdef _ByteCanon b
    cdef Py_ssize_t i
    if PyUnicode_KIND(text) != 1:
        return None
    b = _ByteCanon(text, rule_for, left_out, skipped, table)
    i = b.ws(0)
    if i < b.n and b.value(i, 0) == 0 and b.ws(b.end) == b.n:
        return b.out.text()
    return None


cdef enum:
    _UNSURE = 1  # not a text this reader is sure of (an escape past Latin-1 too): the caller's path decides


cdef class _Out:
    """A growing buffer of Latin-1 bytes."""
    cdef unsigned char *buf
    cdef Py_ssize_t len, cap

    def __cinit__(self, Py_ssize_t cap):
        self.cap = cap if cap > 64 else 64
        self.buf = <unsigned char *>malloc(self.cap)
        self.len = 0
        if self.buf == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.buf)

    cdef int put(self, const unsigned char *s, Py_ssize_t n) except -1:
        cdef unsigned char *grown
        if self.len + n > self.cap:
            self.cap = 2 * (self.len + n)
            grown = <unsigned char *>realloc(self.buf, self.cap)
            if grown == NULL:
                raise MemoryError()
            self.buf = grown
        memcpy(self.buf + self.len, s, n)
        self.len += n
        return 0

    cdef inline int byte(self, unsigned char c) except -1:
        return self.put(&c, 1)

    cdef int put_text(self, str text) except -1:
        """*text*, which must be one-byte text (the caller checks)."""
        return self.put(<const unsigned char *>PyUnicode_DATA(text), len(text))

    cdef str text(self):
        return PyUnicode_DecodeLatin1(<const char *>self.buf, self.len, NULL)


ctypedef struct _Member:
    const unsigned char *name  # the name's Latin-1 bytes (a str kept alive by the table or the reader)
    Py_ssize_t name_len
    Py_ssize_t start, end  # its ``,"name":value`` in the buffer
    bint secret  # a secret pseudonym: not written, but a name twice is still seen


cdef int _by_name(const void *a, const void *b) noexcept nogil:
    """Members in the order of their names (Latin-1 bytes: the order of code points)."""
    cdef const _Member *x = <const _Member *>a
    cdef const _Member *y = <const _Member *>b
    cdef Py_ssize_t n = x.name_len if x.name_len < y.name_len else y.name_len
    cdef int c = memcmp(x.name, y.name, n)
    if c != 0:
        return c
    return (x.name_len > y.name_len) - (x.name_len < y.name_len)


cdef inline bint _same_name(const _Member *x, const _Member *y) noexcept:
    return x.name_len == y.name_len and memcmp(x.name, y.name, x.name_len) == 0


cdef class _ByteCanon:
    """``_Canon`` over one-byte text: the canonical text written into one buffer, objects'
    members reordered there only when they do not come sorted."""
    cdef str text
    cdef const unsigned char *s
    cdef Py_ssize_t n
    cdef object rule_for, left_out
    cdef dict skipped
    cdef KeyTable table
    cdef _Out out
    cdef Py_ssize_t end  # where the value just read ends
    cdef bint escaped  # whether the string just read holds a backslash
    cdef bint secret  # whether the value just read is a secret pseudonym (left out where it stands)
    cdef _Member *members  # the members of the objects being read, innermost last
    cdef Py_ssize_t members_len, members_cap
    cdef _Out scratch  # an object's members while they are put in order
    cdef list alive  # names no table keeps, while their bytes are pointed at

    def __cinit__(self):
        self.members_cap = 64
        self.members = <_Member *>malloc(self.members_cap * sizeof(_Member))
        if self.members == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.members)

    def __init__(self, str text, rule_for, left_out, dict skipped, KeyTable table):
        self.text, self.rule_for, self.left_out, self.skipped, self.table = text, rule_for, left_out, skipped, table
        self.s = <const unsigned char *>PyUnicode_DATA(text)
        self.n = len(text)
        self.out = _Out(self.n)
        self.scratch = _Out(256)
        self.alive = []

    cdef int member(self, str name, Py_ssize_t start, Py_ssize_t end, bint secret) except -1:
        cdef _Member *grown
        if self.members_len == self.members_cap:
            grown = <_Member *>realloc(self.members, 2 * self.members_cap * sizeof(_Member))
            if grown == NULL:
                raise MemoryError()
            self.members, self.members_cap = grown, 2 * self.members_cap
        self.members[self.members_len] = _Member(<const unsigned char *>PyUnicode_DATA(name), len(name),
                                                 start, end, secret)
        self.members_len += 1
        return 0

    cdef inline unsigned char ch(self, Py_ssize_t i) noexcept:
        return self.s[i] if i < self.n else 0

    cdef inline Py_ssize_t ws(self, Py_ssize_t i) noexcept:
        cdef unsigned char c
        while i < self.n:
            c = self.s[i]
            if c != 32 and c != 10 and c != 13 and c != 9:
                break
            i += 1
        return i

    cdef Py_ssize_t string_end(self, Py_ssize_t i) noexcept:
        """The end of the string token at *i*, or -1 when a strict parse refuses it (a raw
        control character, no closing quote); sets ``escaped``."""
        cdef unsigned char c
        i += 1
        self.escaped = False
        while i < self.n:
            c = self.s[i]
            if c == 34:
                return i + 1
            if c < 32:
                return -1
            if c == 92:
                self.escaped = True
                i += 2
            else:
                i += 1
        return -1

    cdef int string(self, Py_ssize_t i) except -1:
        cdef Py_ssize_t end = self.string_end(i)
        cdef str quoted
        if end < 0:
            return _UNSURE
        self.end = end
        if not self.escaped:
            self.secret = end - i > 11 and memcmp(self.s + i + 1, b"tillroll:", 9) == 0 and \
                _secret_value(self.text[i + 1:end - 1])
            return self.out.put(self.s + i, end - i)
        try:
            value = _loads(self.text[i:end])
        except ValueError:
            return _UNSURE
        self.secret = _secret_value(value)
        quoted = _quoted(value)
        if PyUnicode_KIND(quoted) != 1:
            return _UNSURE
        return self.out.put_text(quoted)

    cdef int value(self, Py_ssize_t i, int depth) except -1:
        """Write the canonical text of the (cleaned) value at *i*; its end in ``end``."""
        cdef unsigned char c = self.ch(i)
        self.secret = False
        if c == 123:
            return self.obj(i, depth + 1)
        if c == 91:
            return self.arr(i, depth + 1)
        if c == 34:
            return self.string(i)
        if c == 116:
            return self.literal(i, b"true", 4)
        if c == 102:
            return self.literal(i, b"false", 5)
        if c == 110:
            return self.literal(i, b"null", 4)
        return self.number(i)

    cdef int literal(self, Py_ssize_t i, const char *word, Py_ssize_t n) except -1:
        if i + n > self.n or memcmp(self.s + i, word, n) != 0:
            return _UNSURE
        self.end = i + n
        return self.out.put(<const unsigned char *>word, n)

    cdef int number(self, Py_ssize_t i) except -1:
        cdef Py_ssize_t start = i, digits
        cdef bint fraction = False
        cdef unsigned char c = self.ch(i)
        if c == 45:
            i += 1
            c = self.ch(i)
        if c == 48:
            i += 1
        elif 49 <= c <= 57:
            while 48 <= self.ch(i) <= 57:
                i += 1
        else:
            return _UNSURE
        if self.ch(i) == 46:
            fraction = True
            i += 1
            digits = i
            while 48 <= self.ch(i) <= 57:
                i += 1
            if i == digits:
                return _UNSURE
        c = self.ch(i)
        if c == 101 or c == 69:
            fraction = True
            i += 1
            c = self.ch(i)
            if c == 43 or c == 45:
                i += 1
            digits = i
            while 48 <= self.ch(i) <= 57:
                i += 1
            if i == digits:
                return _UNSURE
        self.end = i
        if not fraction:
            if i - start > _LONGEST_INT:
                return _UNSURE
            if i - start == 2 and self.s[start] == 45 and self.s[start + 1] == 48:
                return self.out.byte(48)  # -0 is the integer 0
            return self.out.put(self.s + start, i - start)
        if self.plain_decimal(start, i):
            return self.out.put(self.s + start, i - start)
        number = float(self.text[start:i])
        if not isfinite(<double>number):
            return _UNSURE
        return self.out.put_text(float.__repr__(number))

    cdef bint plain_decimal(self, Py_ssize_t start, Py_ssize_t end) noexcept:
        """Whether ``repr(float(token))`` is the token itself: no exponent, at most 15
        significant digits (so the token is the shortest spelling of its double), no zero
        ending the fraction but ``.0``, and a magnitude that repr writes without exponent
        (at least 1e-4, or zero)."""
        cdef Py_ssize_t i = start, dot = -1, digits = 0, leading = 0
        cdef bint significant = False
        cdef unsigned char c
        if self.s[i] == 45:
            i += 1
        while i < end:
            c = self.s[i]
            if c == 46:
                dot = i
            elif c == 101 or c == 69:
                return False
            elif c == 48 and not significant:
                if dot >= 0:
                    leading += 1  # zeros right after the point: 0.000x
            else:
                significant = True
                digits += 1
            i += 1
        if dot < 0 or digits > 15:
            return False
        if self.s[end - 1] == 48 and end - 1 != dot + 1:
            return False  # 2.50 is 2.5
        if not significant:
            return True  # 0.0, -0.0
        if dot - start - (1 if self.s[start] == 45 else 0) == 1 and self.s[dot - 1] == 48 and leading >= 4:
            return False  # under 1e-4: repr writes an exponent
        return True

    cdef tuple entry(self, Py_ssize_t start, Py_ssize_t end):
        """``(name, left out of matching)`` of the key token [start, end)."""
        cdef uint64_t h
        cdef tuple found
        cdef str name
        if self.escaped:
            name = _loads(self.text[start:end])
            self.alive.append(name)
            return (name, self.judge(name))
        h = name_hash(self.s + start + 1, end - start - 2)
        found = self.table.find(self.s + start + 1, end - start - 2, h)
        if found is None:
            name = self.text[start + 1:end - 1]
            found = (name, self.judge(name))
            self.table.insert(found, h)
            self.alive.append(found)  # when the table is full
        return found

    cdef bint judge(self, str name) except -1:
        """``match_doc._skipped``: a rule's secret or drop, or a volatile field of the vendor."""
        s = self.skipped.get(name)
        if s is None:
            rule = self.rule_for(name)
            s = (rule is not None and rule.action in _UNMATCHED) or _normalise(name) in self.left_out
            if len(self.skipped) < _JUDGED_KEPT:
                self.skipped[name] = s
        return s is True

    cdef int obj(self, Py_ssize_t i, int depth) except -1:
        """Members are written as ``,"name":value``; put in order afterwards if they did not come so."""
        cdef _Out out = self.out, scratch
        cdef Py_ssize_t begin = out.len, key_start, key_end, member_start, k
        cdef Py_ssize_t first = self.members_len  # this object's members: members[first:]
        cdef _Member *m
        cdef bint ordered = True
        cdef int status
        cdef tuple entry
        cdef str name, quoted
        if depth > _MAX_DEPTH:
            return _UNSURE
        i = self.ws(i + 1)
        if self.ch(i) == 125:
            self.end = i + 1
            return out.put(b"{}", 2)
        while True:
            if self.ch(i) != 34:
                return _UNSURE
            key_start = i
            key_end = self.string_end(i)
            if key_end < 0:
                return _UNSURE
            try:
                entry = self.entry(key_start, key_end)
            except ValueError:
                return _UNSURE
            name = <str>entry[0]
            i = self.ws(key_end)
            if self.ch(i) != 58:
                return _UNSURE
            i = self.ws(i + 1)
            member_start = out.len
            out.byte(44)
            if self.escaped:
                quoted = _quoted(name)
                if PyUnicode_KIND(quoted) != 1:
                    return _UNSURE
                out.put_text(quoted)
            else:
                out.put(self.s + key_start, key_end - key_start)
            out.byte(58)
            status = self.value(i, depth)
            if status != 0:
                return status
            i = self.end
            if entry[1]:  # left out by its name (a name twice is left out twice)
                out.len = member_start
            else:
                if self.secret:
                    out.len = member_start
                self.member(name, member_start, out.len, self.secret)
                if self.members_len - first > 1 and _by_name(&self.members[self.members_len - 2],
                                                              &self.members[self.members_len - 1]) >= 0:
                    ordered = False
            i = self.ws(i)
            if self.ch(i) == 125:
                break
            if self.ch(i) != 44:
                return _UNSURE
            i = self.ws(i + 1)
        self.end = i + 1
        self.secret = False
        if not ordered:
            m = &self.members[first]
            qsort(m, self.members_len - first, sizeof(_Member), _by_name)
            for k in range(1, self.members_len - first):
                if _same_name(&m[k], &m[k - 1]):
                    return _UNSURE  # a key named twice: the parse keeps the last, where the first stood
            scratch = self.scratch
            scratch.len = 0
            scratch.put(out.buf + begin, out.len - begin)
            out.len = begin
            for k in range(self.members_len - first):
                if not m[k].secret:
                    out.put(scratch.buf + (m[k].start - begin), m[k].end - m[k].start)
        self.members_len = first
        if out.len == begin:
            return out.put(b"{}", 2)
        out.buf[begin] = 123
        return out.byte(125)

    cdef int arr(self, Py_ssize_t i, int depth) except -1:
        cdef _Out out = self.out
        cdef Py_ssize_t begin = out.len, item_start
        cdef int status
        if depth > _MAX_DEPTH:
            return _UNSURE
        i = self.ws(i + 1)
        if self.ch(i) == 93:
            self.end = i + 1
            return out.put(b"[]", 2)
        while True:
            item_start = out.len
            out.byte(44)
            status = self.value(i, depth)
            if status != 0:
                return status
            if self.secret:
                out.len = item_start
            i = self.ws(self.end)
            if self.ch(i) == 93:
                break
            if self.ch(i) != 44:
                return _UNSURE
            i = self.ws(i + 1)
        self.end = i + 1
        self.secret = False
        if out.len == begin:
            return out.put(b"[]", 2)
        out.buf[begin] = 91
        return out.byte(93)
