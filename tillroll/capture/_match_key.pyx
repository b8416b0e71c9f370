# cython: language_level=3, boundscheck=False, wraparound=False
"""The match key's work, compiled: the same behaviour as the pure functions of
:mod:`tillroll.capture.match_doc`, which stay the oracle (``TILLROLL_NO_EXTENSIONS=1``
runs them instead).

* :func:`clean`: ``match_doc._clean``, the match document without what matching leaves
  out (a rule's secrets and drops, the vendor's volatile fields, secret pseudonyms).
* :func:`canonical`: ``match_doc._CANONICAL.encode``, the document's canonical text
  (``json`` with sorted keys, no spaces, no ASCII escaping) written in one walk without
  the standard encoder's per-string copies and item lists. Anything but what a parsed
  JSON document holds (a subclass, a tuple, a float that is not finite, a key that is not
  text, nesting deeper than the parser allows) goes to the standard encoder, so both
  give the same text, or the same error, for every value.
"""

from json.encoder import encode_basestring as _quoted  # the standard encoder's own string escaping

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_DecodeLatin1
from libc.math cimport isfinite
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc, qsort, realloc
from libc.string cimport memcmp, memcpy

from tillroll.capture._native cimport KeyTable, fnv

cdef str _PREFIX = "tillroll:"
cdef str _DROPPED = "tillroll:dropped"
cdef object _SECRET_LABELS = ()
cdef object _UNMATCHED = ()
cdef object _normalise = None
cdef Py_ssize_t _JUDGED_KEPT = 0
cdef object _encode = None
cdef int _MAX_DEPTH = 0


def configure_match(str prefix, str dropped, secret_labels, unmatched, normalise, Py_ssize_t judged_kept,
                    encode, int max_depth):
    """The pseudonym spellings, the labels and rule actions left out of matching, how many
    judged key names a memo keeps; the standard canonical encoder and how deep a document
    may nest before it takes over."""
    global _PREFIX, _DROPPED, _SECRET_LABELS, _UNMATCHED, _normalise, _JUDGED_KEPT, _encode, _MAX_DEPTH
    _PREFIX, _DROPPED, _SECRET_LABELS, _UNMATCHED = prefix, dropped, secret_labels, unmatched
    _normalise, _JUDGED_KEPT, _encode, _MAX_DEPTH = normalise, judged_kept, encode, max_depth


# -- the document's cleaning (match_doc._clean) ------------------------------------------------

def clean(value, rule_for, left_out, dict skipped=None):
    """``match_doc._clean``: *value* without the members a rule or the vendor leaves out
    of matching and without secret pseudonyms; each key name judged once (*skipped*: the
    names already judged, filled in up to the memo's bound)."""
    return _clean(value, rule_for, left_out, {} if skipped is None else skipped)


cdef object _clean(object value, object rule_for, object left_out, dict skipped):
    cdef type t = type(value)
    cdef dict out
    cdef list items
    cdef object k, v, s, rule
    if t is dict:
        out = {}
        for k, v in (<dict>value).items():
            s = skipped.get(k)
            if s is None:
                rule = rule_for(k)
                s = (rule is not None and rule.action in _UNMATCHED) or _normalise(k) in left_out
                if len(skipped) < _JUDGED_KEPT:
                    skipped[k] = s
            if s or _secret_value(v):
                continue
            out[k] = _clean(v, rule_for, left_out, skipped)
        return out
    if t is list:
        items = []
        for v in <list>value:
            if not _secret_value(v):
                items.append(_clean(v, rule_for, left_out, skipped))
        return items
    return value


cdef inline bint _secret_value(object value) except -1:
    if type(value) is not str or not (<str>value).startswith(_PREFIX):
        return False
    return value == _DROPPED or (<str>value).split(":", 2)[1] in _SECRET_LABELS


# -- the canonical text (match_doc._CANONICAL.encode) -----------------------------------------

cdef enum:
    _UNSUPPORTED = 1  # _write's answer for a value the standard encoder must write


def canonical(value):
    """``match_doc._CANONICAL.encode(value)``: the same text for every value."""
    cdef list out = []
    if _write(out, value, 0) == _UNSUPPORTED:
        return _encode(value)
    return "".join(out)


cdef int _write(list out, object value, int depth) except -1:
    """Append the pieces of *value*'s text to *out*; ``_UNSUPPORTED`` (and *out* is
    then of no use) where the standard encoder must write it."""
    cdef type t = type(value)
    cdef list keys
    cdef object k
    cdef bint first = True
    if t is str:
        if _plain(<str>value):
            out.append('"')
            out.append(value)
            out.append('"')
        else:
            out.append(_quoted(value))
    elif t is dict:
        if depth >= _MAX_DEPTH:
            return _UNSUPPORTED
        if not <dict>value:
            out.append("{}")
            return 0
        keys = list(<dict>value)
        for k in keys:
            if type(k) is not str:
                return _UNSUPPORTED  # the standard encoder turns numbers and None into text first
        keys.sort()  # str keys, all distinct: the order of sorted(items()), which the encoder uses
        for k in keys:
            if _plain(<str>k):  # the quotes go with the punctuation: fewer pieces
                out.append('{"' if first else ',"')
                out.append(k)
                out.append('":')
            else:
                out.append("{" if first else ",")
                out.append(_quoted(k))
                out.append(":")
            first = False
            if _write(out, (<dict>value)[k], depth + 1) == _UNSUPPORTED:
                return _UNSUPPORTED
        out.append("}")
    elif t is list:
        if depth >= _MAX_DEPTH:
            return _UNSUPPORTED
        if not <list>value:
            out.append("[]")
            return 0
        for k in <list>value:
            out.append("[" if first else ",")
            first = False
            if _write(out, k, depth + 1) == _UNSUPPORTED:
                return _UNSUPPORTED
        out.append("]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif t is int:
        out.append(int.__repr__(value))
    elif t is float and isfinite(<double>value):
        out.append(float.__repr__(value))
    else:
        return _UNSUPPORTED
    return 0


cdef inline bint _plain(str text):
    """Nothing in *text* to escape: no quote, no backslash, no control character."""
    cdef Py_UCS4 c
    for c in text:
        if c < 32 or c == 34 or c == 92:
            return False
    return True


# -- the cleaned canonical text read from a JSON text (match_doc.clean_canonical) -----------------

cdef extern from "Python.h":
    int PyUnicode_KIND(object text)
    void *PyUnicode_DATA(object text)
    Py_UCS4 PyUnicode_READ(int kind, void *data, Py_ssize_t index) nogil

import json as _json

cdef object _loads = _json.loads
cdef Py_ssize_t _LONGEST_INT = 4000  # digits: past Python's int conversion limit json.loads refuses it


def clean_canonical(str text, rule_for, left_out, dict skipped, KeyTable table=None):
    """``canonical(clean(json.loads(text), rule_for, left_out, skipped))`` read straight
    from the JSON *text*, without building the value: the match key's parameters from the
    stored parameters' text. None where the text is not one this reader is sure of (not
    strict JSON, a key named twice in one object, ``NaN``, a number out of range, nesting
    past the limit): the caller then takes the path it accelerates, which decides.
    *table*: the key names judged so far (one-byte text is read through it, as bytes)."""
    cdef _Canon c
    cdef _ByteCanon b
    cdef Py_ssize_t i
    cdef int status
    cdef object out
    if table is not None and PyUnicode_KIND(text) == 1:
        b = _ByteCanon(text, rule_for, left_out, skipped, table)
        i = b.ws(0)
        status = b.value(i, 0) if i < b.n else _UNSURE
        if status == 0 and b.ws(b.end) == b.n:
            return b.out.text()
        if status != _WIDE:
            return None
    c = _Canon(text, rule_for, left_out, skipped)
    i = c.ws(0)
    if i >= c.n:
        return None
    out = c.value(i, 0)
    if out is None or c.ws(c.end) != c.n:
        return None
    return out


cdef class _Canon:
    cdef str text
    cdef Py_ssize_t n
    cdef int kind
    cdef void *data
    cdef object rule_for, left_out
    cdef dict skipped
    cdef Py_ssize_t end  # where the value just read ends
    cdef bint escaped  # whether the string just read holds a backslash

    def __init__(self, str text, rule_for, left_out, dict skipped):
        self.text, self.rule_for, self.left_out, self.skipped = text, rule_for, left_out, skipped
        self.n = len(text)
        self.kind = PyUnicode_KIND(text)
        self.data = PyUnicode_DATA(text)

    cdef inline Py_UCS4 ch(self, Py_ssize_t i) noexcept:
        return PyUnicode_READ(self.kind, self.data, i) if i < self.n else 0

    cdef inline Py_ssize_t ws(self, Py_ssize_t i) noexcept:
        cdef Py_UCS4 c
        while i < self.n:
            c = PyUnicode_READ(self.kind, self.data, i)
            if c != 32 and c != 10 and c != 13 and c != 9:
                break
            i += 1
        return i

    cdef Py_ssize_t string_end(self, Py_ssize_t i) noexcept:
        """The end of the string token at *i* (which holds a quote), -1 when it is not one
        a strict parse accepts without a look at its escapes; sets ``escaped``."""
        cdef Py_UCS4 c
        i += 1
        self.escaped = False
        while i < self.n:
            c = PyUnicode_READ(self.kind, self.data, i)
            if c == 34:
                return i + 1
            if c < 32:
                return -1  # a raw control character: json.loads (strict) refuses it
            if c == 92:
                self.escaped = True
                i += 2
            else:
                i += 1
        return -1

    cdef object string_value(self, Py_ssize_t i, Py_ssize_t end):
        """The decoded string of the token [i, end), or None when its escapes are not valid."""
        if not self.escaped:
            return self.text[i + 1:end - 1]
        try:
            return _loads(self.text[i:end])
        except ValueError:
            return None

    cdef object value(self, Py_ssize_t i, int depth):
        """The canonical text of the (cleaned) value at *i*, its end in ``end``; None: unsure."""
        cdef Py_UCS4 c = self.ch(i)
        cdef Py_ssize_t end
        if c == 123:
            return self.obj(i, depth + 1)
        if c == 91:
            return self.arr(i, depth + 1)
        if c == 34:
            end = self.string_end(i)
            if end < 0:
                return None
            self.end = end
            if not self.escaped:
                return self.text[i:end]
            value = self.string_value(i, end)
            return None if value is None else _quoted(value)
        if c == 116:
            return self.literal(i, "true")
        if c == 102:
            return self.literal(i, "false")
        if c == 110:
            return self.literal(i, "null")
        return self.number(i)

    cdef object literal(self, Py_ssize_t i, str word):
        cdef Py_ssize_t n = len(word)
        if self.text[i:i + n] != word:
            return None
        self.end = i + n
        return word

    cdef object number(self, Py_ssize_t i):
        """A number token as the canonical encoder writes what json.loads makes of it."""
        cdef Py_ssize_t start = i, digits
        cdef bint fraction = False
        cdef Py_UCS4 c = self.ch(i)
        if c == 45:  # -
            i += 1
            c = self.ch(i)
        if c == 48:  # a leading zero stands alone
            i += 1
        elif 49 <= c <= 57:
            while 48 <= self.ch(i) <= 57:
                i += 1
        else:
            return None
        if self.ch(i) == 46:  # .
            fraction = True
            i += 1
            digits = i
            while 48 <= self.ch(i) <= 57:
                i += 1
            if i == digits:
                return None
        c = self.ch(i)
        if c == 101 or c == 69:  # e E
            fraction = True
            i += 1
            c = self.ch(i)
            if c == 43 or c == 45:
                i += 1
            digits = i
            while 48 <= self.ch(i) <= 57:
                i += 1
            if i == digits:
                return None
        self.end = i
        token = self.text[start:i]
        if not fraction:
            if i - start > _LONGEST_INT:
                return None
            return "0" if token == "-0" else token
        number = float(token)
        if not isfinite(<double>number):
            return None
        return float.__repr__(number)

    cdef bint left_out_key(self, str key) except -1:
        """``match_doc._skipped``: a rule's secret or drop, or a volatile field of the vendor."""
        s = self.skipped.get(key)
        if s is None:
            rule = self.rule_for(key)
            s = (rule is not None and rule.action in _UNMATCHED) or _normalise(key) in self.left_out
            if len(self.skipped) < _JUDGED_KEPT:
                self.skipped[key] = s
        return s is True

    cdef object obj(self, Py_ssize_t i, int depth):
        cdef list members = []
        cdef set names = set()
        cdef Py_ssize_t key_start, end, k
        cdef object key, text
        cdef list out
        if depth > _MAX_DEPTH // 2:
            return None
        i = self.ws(i + 1)
        if self.ch(i) == 125:
            self.end = i + 1
            return "{}"
        while True:
            if self.ch(i) != 34:
                return None
            key_start = i
            end = self.string_end(i)
            if end < 0:
                return None
            key = self.string_value(key_start, end)
            if key is None or key in names:
                return None  # a key named twice: the parse keeps the last, where the first stood
            names.add(key)
            i = self.ws(end)
            if self.ch(i) != 58:  # :
                return None
            i = self.ws(i + 1)
            text = self.value(i, depth)
            if text is None:
                return None
            i = self.end
            if not self.left_out_key(<str>key) and not self.secret_text(text):
                members.append((key, text))
            i = self.ws(i)
            if self.ch(i) == 125:
                break
            if self.ch(i) != 44:  # ,
                return None
            i = self.ws(i + 1)
        self.end = i + 1
        if not members:
            return "{}"
        members.sort()
        out = []
        for k in range(len(members)):
            key, text = members[k]
            out.append("{" if k == 0 else ",")
            out.append(f'"{key}"' if _plain(<str>key) else _quoted(key))
            out.append(":")
            out.append(text)
        out.append("}")
        return "".join(out)

    cdef object arr(self, Py_ssize_t i, int depth):
        cdef list out = []
        cdef object text
        if depth > _MAX_DEPTH // 2:
            return None
        i = self.ws(i + 1)
        if self.ch(i) == 93:
            self.end = i + 1
            return "[]"
        while True:
            text = self.value(i, depth)
            if text is None:
                return None
            i = self.ws(self.end)
            if not self.secret_text(text):
                out.append(text)
            if self.ch(i) == 93:
                break
            if self.ch(i) != 44:
                return None
            i = self.ws(i + 1)
        self.end = i + 1
        return "[" + ",".join(out) + "]"

    cdef inline bint secret_text(self, str text) except -1:
        """``_secret_value`` of the value whose canonical text is *text*: a pseudonym of a
        secret or a dropped value (written without escapes: it is tillroll's own)."""
        if len(text) < 11 or text[0] != '"' or not text.startswith(_PREFIX, 1):
            return False
        return _secret_value(_loads(text))



# -- the same, over one-byte text: written into one buffer -----------------------------------------


cdef enum:
    _UNSURE = 1  # not a text this reader is sure of: the caller's path decides
    _WIDE = 2  # an escape that makes a character past Latin-1: the reader over str takes it


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
            return _WIDE
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
        h = fnv(self.s + start + 1, end - start - 2)
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
        if depth > _MAX_DEPTH // 2:
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
                    return _WIDE
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
        if depth > _MAX_DEPTH // 2:
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
