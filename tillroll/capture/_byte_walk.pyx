# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The redaction of a strict JSON text where it stands, for one-byte text (ASCII or Latin-1,
most bodies): :func:`tillroll.capture.json_text.redact_text`, compiled, reading the
characters as bytes. Each key name is judged once per rule set (a
:class:`~tillroll.capture._key_table.KeyTable` found by the name's bytes: no string made,
no rule looked up, no name normalised for a name seen before); a location
("request.body.items[3].email") is built only where something is redacted; the detectors'
prefilter runs on a string's bytes before any string is made of it. Every decision is still
the pure walk's, asked of the same Pass methods. :mod:`tillroll.capture._json_text` calls
it for one-byte text and walks other text itself; the pure module is the oracle."""

import json as _json

from libc.stdint cimport uint64_t
from libc.string cimport memchr

from tillroll.capture._key_table cimport KeyTable, name_hash
from tillroll.capture._native cimport _ascii_secret, _secret

cdef extern from "Python.h":
    void *PyUnicode_DATA(object text)

cdef object _contextual_rule = None
cdef object _normalise = None
cdef Py_ssize_t _MIN_LENGTH = 6
cdef object _BIG = 10 ** 12
cdef object _loads = _json.loads
cdef object _dumps = _json.dumps


def configure(contextual_rule, normalise, Py_ssize_t min_length):
    """The pure functions the walk defers to (from ``_json_text.configure``)."""
    global _contextual_rule, _normalise, _MIN_LENGTH
    _contextual_rule, _normalise, _MIN_LENGTH = contextual_rule, normalise, min_length


def walk(p, str text, tuple at, str where, Py_ssize_t start):
    """``(edits, found start, found end)`` of the one-byte strict JSON *text* from *start*:
    the edits ``(start, end, new token)`` in text order, and the span of the value the
    keys *at* lead to (-1 when none)."""
    cdef _ByteWalk w = _ByteWalk(p, text, at, where)
    w.value(start, None, 0 if at else -1)
    return w.edits, w.found_start, w.found_end


cdef object _token(object value):
    """``json_text.string_token``: a pseudonym needs only its quotes."""
    cdef Py_UCS4 c
    if type(value) is str:
        for c in <str>value:
            if c < 32 or c > 126 or c == 34 or c == 92:
                return _dumps(value, ensure_ascii=False)
        return f'"{value}"'
    return _dumps(value, ensure_ascii=False)

cdef enum:
    _APPLIES = 1  # a rule that is not "keep" names the key
    _IS_NAME = 2  # the key is "name", in any case (the contextual rule's member)
    _BASE64 = 4  # normalised, one of the profile's Base64 JSON members
    _SECRET_KEY = 8  # the name itself may hold a secret (the detectors' prefilter)
    _LONG_SECRET_KEY = 16  # ... and is long enough to be one
    _DEEPEST = 256  # nesting the walk follows (a strict parse accepted at most 100 levels)


cdef tuple _judge(KeyTable table, object p, str name, bint keep, uint64_t h):
    """The walk's entry of *name*, judged with *p*'s rules: ``(name, rule or None, normalised
    name, flags, the contextual rule of a "name" member inside it)``; kept when *keep*."""
    cdef object rule = p.rule_for(name)
    cdef object norm = _normalise(name)
    cdef object base64_fields = p.base64_fields
    cdef int flags = 0
    if rule is not None and rule.action != "keep":
        flags |= _APPLIES
    if len(name) == 4 and name.lower() == "name":
        flags |= _IS_NAME
    if base64_fields and norm in base64_fields:
        flags |= _BASE64
    if _secret(name):
        flags |= _SECRET_KEY
        if len(name) >= _MIN_LENGTH:
            flags |= _LONG_SECRET_KEY
    entry = (name, rule, norm, flags, _contextual_rule(norm, "name"))
    if keep:
        table.insert(entry, h)
    return entry


cdef KeyTable _table_of(object p):
    """The key table of *p*'s rule set, kept on its Redactor."""
    cdef dict tables = p.r.key_tables
    cdef object base64_fields = p.base64_fields
    key = (p._profile_rules, base64_fields)
    table = tables.get(key)
    if table is None:
        table = tables[key] = KeyTable()
    return <KeyTable>table


cdef class _ByteWalk:
    """``_TextWalk`` over one-byte text (see above)."""
    cdef object p
    cdef str text
    cdef const unsigned char *s
    cdef Py_ssize_t n
    cdef list edits
    cdef KeyTable table
    cdef bint escaped
    cdef tuple at
    cdef Py_ssize_t found_start, found_end
    cdef str base  # the location of the whole text ("request.body")
    cdef Py_ssize_t depth
    cdef list path_names  # per level: the member's name, or None in an array
    cdef Py_ssize_t path_index[_DEEPEST]

    def __init__(self, p, str text, tuple at, str base):
        self.p, self.text, self.at, self.base = p, text, at, base
        self.s = <const unsigned char *>PyUnicode_DATA(text)
        self.n = len(text)
        self.edits = []
        self.table = _table_of(p)
        self.found_start = self.found_end = -1
        self.depth = 0
        self.path_names = [None] * _DEEPEST

    # -- where ------------------------------------------------------------------------------
    cdef inline int push(self, object name, Py_ssize_t index) except -1:
        if self.depth >= _DEEPEST:
            raise ValueError("redact_json_text: nested deeper than a strict parse allows")
        self.path_names[self.depth] = name
        self.path_index[self.depth] = index
        self.depth += 1
        return 0

    cdef inline void pop(self) noexcept:
        self.depth -= 1
        self.path_names[self.depth] = None

    cdef str where(self):
        """The location of the value being walked, as the pure walk writes it."""
        cdef list parts = [self.base]
        cdef Py_ssize_t d
        for d in range(self.depth):
            name = self.path_names[d]
            if name is None:
                parts.append(f"[{self.path_index[d]}]")
            else:
                parts.append(".")
                parts.append(name)
        return "".join(parts)

    # -- tokens -----------------------------------------------------------------------------
    cdef inline Py_ssize_t ws(self, Py_ssize_t i) noexcept:
        cdef unsigned char c
        while i < self.n:
            c = self.s[i]
            if c != 32 and c != 10 and c != 13 and c != 9:
                break
            i += 1
        return i

    cdef inline unsigned char ch(self, Py_ssize_t i) except? 0:
        if i >= self.n:
            raise ValueError("redact_json_text: not a strict JSON text")
        return self.s[i]

    cdef Py_ssize_t string_end(self, Py_ssize_t i) except -1:
        """The end of the string token at *i*; sets ``escaped``."""
        cdef const unsigned char *quote
        cdef const unsigned char *s = self.s
        i += 1
        self.escaped = False
        quote = <const unsigned char *>memchr(s + i, 34, self.n - i) if i < self.n else NULL
        if quote == NULL:
            raise ValueError("redact_json_text: not a strict JSON text")
        if memchr(s + i, 92, quote - (s + i)) == NULL:
            return quote - s + 1
        self.escaped = True
        while True:
            c = self.ch(i)
            if c == 34:
                return i + 1
            i += 2 if c == 92 else 1

    cdef inline object string_value(self, Py_ssize_t i, Py_ssize_t end):
        if self.escaped:
            return _loads(self.text[i:end])
        return self.text[i + 1:end - 1]

    cdef Py_ssize_t scalar_end(self, Py_ssize_t i) except -1:
        cdef unsigned char c = self.ch(i)
        if c == 116 or c == 110:  # true, null
            return i + 4
        if c == 102:  # false
            return i + 5
        i += 1
        while i < self.n:
            c = self.s[i]
            if not (48 <= c <= 57 or c == 46 or c == 101 or c == 69 or c == 43 or c == 45):
                break
            i += 1
        return i

    cdef int replace(self, Py_ssize_t start, Py_ssize_t end, object old, object new) except -1:
        if new is not old and new != old:
            self.edits.append((start, end, _token(new)))
        return 0

    cdef int big_integer(self, Py_ssize_t i, Py_ssize_t end) except -1:
        cdef Py_ssize_t j
        cdef str token
        if end - i < 13:  # 10**12 has 13 digits
            return 0
        for j in range(i, end):
            if not 48 <= self.s[j] <= 57:
                return 0
        token = self.text[i:end]
        if int(token) > _BIG:
            redacted = self.p.value(token, self.where())
            if redacted != token:
                self.edits.append((i, end, _token(redacted)))
        return 0

    cdef int detect_string(self, Py_ssize_t i, Py_ssize_t end) except -1:
        """A string value no rule names: the detectors, when their prefilter says so."""
        cdef int maybe = -1
        cdef object value
        if end - i - 2 < _MIN_LENGTH:
            return 0
        if not self.escaped:
            maybe = _ascii_secret(self.s + i + 1, end - i - 2)  # -1: not ASCII, ask _secret
            if maybe == 0:
                return 0
        value = self.string_value(i, end)
        if maybe == 1 or (len(<str>value) >= _MIN_LENGTH and _secret(<str>value)):
            self.replace(i, end, value, self.p._detected(value, self.where()))
        return 0

    # -- values -----------------------------------------------------------------------------
    cdef Py_ssize_t value(self, Py_ssize_t i, tuple parent, Py_ssize_t on=-1) except -1:
        cdef unsigned char c = self.ch(i)
        cdef Py_ssize_t end
        if c == 123:
            return self.obj(i, parent, on)
        if c == 91:
            return self.arr(i, parent)
        if c == 34:
            end = self.string_end(i)
            self.detect_string(i, end)
            return end
        end = self.scalar_end(i)
        self.big_integer(i, end)
        return end

    cdef tuple entry(self, Py_ssize_t start, Py_ssize_t end):
        """The judged entry of the key token [start, end)."""
        cdef uint64_t h
        cdef tuple found
        if self.escaped:  # spelled with escapes: judged as read, not kept
            return _judge(self.table, self.p, _loads(self.text[start:end]), False, 0)
        h = name_hash(self.s + start + 1, end - start - 2)
        found = self.table.find(self.s + start + 1, end - start - 2, h)
        if found is None:
            found = _judge(self.table, self.p, self.text[start + 1:end - 1], True, h)
        return found

    cdef Py_ssize_t obj(self, Py_ssize_t i, tuple parent, Py_ssize_t on) except -1:
        cdef object p = self.p
        cdef Py_ssize_t key_start, end, value_start
        cdef bint towards
        cdef object key, rule, value
        cdef tuple entry
        cdef int flags
        cdef list secret_keys = None
        cdef bint long_secret_key = False
        cdef unsigned char c
        i = self.ws(i + 1)
        if self.ch(i) == 125:
            return i + 1
        while True:
            key_start = i
            i = self.string_end(i)
            entry = self.entry(key_start, i)
            key, rule, flags = entry[0], entry[1], entry[3]
            if flags & _SECRET_KEY:
                if secret_keys is None:
                    secret_keys = []
                secret_keys.append((key_start, i, key))
                if flags & _LONG_SECRET_KEY:
                    long_secret_key = True
            i = self.ws(self.ws(i) + 1)  # past the colon
            if rule is None and parent is not None and flags & _IS_NAME:
                rule = parent[4]  # the contextual rule of a "name" in this container
                if rule is not None and rule.action != "keep":
                    flags |= _APPLIES
            c = self.ch(i)
            value_start = i
            towards = on >= 0 and key == self.at[on]
            self.push(key, 0)
            if flags & _APPLIES:
                i = self.all(i, rule)
            elif c == 34:
                end = self.string_end(i)
                if flags & _BASE64:
                    value = self.string_value(i, end)
                    self.replace(i, end, value, p._base64_json(value, self.where()))
                else:
                    self.detect_string(i, end)
                i = end
            elif c == 123 or c == 91:
                i = self.value(i, entry, on + 1 if towards and on + 1 < len(self.at) else -1)
            else:
                end = self.scalar_end(i)
                self.big_integer(i, end)
                i = end
            self.pop()
            if towards and on + 1 == len(self.at):
                self.found_start, self.found_end = value_start, i
            i = self.ws(i)
            if self.ch(i) == 125:
                break
            i = self.ws(i + 1)  # past the comma
        if long_secret_key:  # secrets in the keys themselves: after the values, as Pass._dict
            where = self.where() + ".<key>"
            for key_start, end, key in secret_keys:
                self.replace(key_start, end, key, p._detected(key, where))
            self.edits.sort()
        return i + 1

    cdef Py_ssize_t arr(self, Py_ssize_t i, tuple parent) except -1:
        cdef Py_ssize_t n = 0, end
        cdef unsigned char c
        i = self.ws(i + 1)
        if self.ch(i) == 93:
            return i + 1
        while True:
            c = self.ch(i)
            self.push(None, n)
            if c == 123 or c == 91:
                i = self.value(i, parent)
            elif c == 34:
                end = self.string_end(i)
                self.detect_string(i, end)
                i = end
            else:
                end = self.scalar_end(i)
                self.big_integer(i, end)
                i = end
            self.pop()
            n += 1
            i = self.ws(i)
            if self.ch(i) == 93:
                return i + 1
            i = self.ws(i + 1)

    cdef Py_ssize_t all(self, Py_ssize_t i, object rule) except -1:
        """``Pass._all``: every leaf at *i* falls under *rule*."""
        cdef unsigned char c = self.ch(i)
        cdef Py_ssize_t n = 0, end, key_start
        cdef object key, value
        if c == 123:
            i = self.ws(i + 1)
            if self.ch(i) == 125:
                return i + 1
            while True:
                key_start = i
                i = self.string_end(i)
                key = self.string_value(key_start, i)
                i = self.ws(self.ws(i) + 1)
                self.push(key, 0)
                i = self.ws(self.all(i, rule))
                self.pop()
                if self.ch(i) == 125:
                    return i + 1
                i = self.ws(i + 1)
        if c == 91:
            i = self.ws(i + 1)
            if self.ch(i) == 93:
                return i + 1
            while True:
                self.push(None, n)
                i = self.ws(self.all(i, rule))
                self.pop()
                n += 1
                if self.ch(i) == 93:
                    return i + 1
                i = self.ws(i + 1)
        if c == 34:
            end = self.string_end(i)
            value = self.string_value(i, end)
        else:
            end = self.scalar_end(i)
            value = _loads(self.text[i:end])
        self.replace(i, end, value, self.p._apply(rule, value, self.where()))
        return end
