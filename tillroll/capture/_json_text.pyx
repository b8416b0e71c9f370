# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled twin of :mod:`tillroll.capture.json_text`: the redaction of a strict JSON
text where it stands, one pass over its characters (the storage of the ``str`` read
directly; a closing quote found with ``memchr`` in one-byte text). Every decision and
every replacement is the pure module's: the rules, the contextual ``name`` rule, Base64
members and the detectors' prefilter are asked per member, and the replacements come
from the same ``Pass`` methods. The pure module is the oracle (differential tests) and
the fallback (``TILLROLL_NO_EXTENSIONS=1``).
"""

from tillroll.capture._native cimport _secret

cdef object _NO_RULE = None
cdef object _contextual_rule = None
cdef object _normalise = None
cdef Py_ssize_t _MIN_LENGTH = 6
cdef object _BIG = 10 ** 12


def configure(no_rule, contextual_rule, normalise, Py_ssize_t min_length):
    """The markers and pure functions the walk (and the walk over bytes) defers to."""
    global _NO_RULE, _contextual_rule, _normalise, _MIN_LENGTH
    _NO_RULE = no_rule
    _contextual_rule = contextual_rule
    _normalise = normalise
    _MIN_LENGTH = min_length
    _byte_walk.configure(contextual_rule, normalise, min_length)


from tillroll.capture import _byte_walk

cdef object _walk_bytes = _byte_walk.walk


import json as _json

cdef object _token(object value):
    """``json_text.string_token``: a pseudonym needs only its quotes."""
    cdef Py_UCS4 c
    if type(value) is str:
        for c in <str>value:
            if c < 32 or c > 126 or c == 34 or c == 92:
                return _dumps(value, ensure_ascii=False)
        return f'"{value}"'
    return _dumps(value, ensure_ascii=False)


cdef extern from "Python.h":
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)
    int PyUnicode_KIND(object text)
    void *PyUnicode_DATA(object text)
    Py_UCS4 PyUnicode_READ(int kind, void *data, Py_ssize_t index) nogil

from libc.string cimport memchr

cdef object _loads = _json.loads
cdef object _dumps = _json.dumps


def redact_json_text(self, str text, str where, tuple at):
    """``Pass.json_text_at``: :func:`tillroll.capture.json_text.redact_text`, compiled."""
    cdef _TextWalk w
    cdef Py_ssize_t i = 0, last = 0, start, end, before = 0, inside = 0, s, e
    cdef list out, edits
    cdef tuple edit
    cdef str redacted = text
    while Py_UNICODE_ISSPACE(text[i]):
        i += 1
    if PyUnicode_KIND(text) == 1:
        edits, start, end = _walk_bytes(self, text, at, where, i)
    else:
        w = _TextWalk(self, text, at)
        w.value(i, where, None, 0 if at else -1)
        edits, start, end = w.edits, w.found_start, w.found_end
    if edits:
        out = []
        for edit in edits:
            out.append(text[last:<Py_ssize_t>edit[0]])
            out.append(edit[2])
            last = edit[1]
        out.append(text[last:])
        redacted = "".join(out)
    if end < 0:
        return redacted, None
    for edit in edits:  # the part moved by the edits before it, stretched by those inside it
        s, e = edit[0], edit[1]
        if e <= start:
            before += len(<str>edit[2]) - (e - s)
        elif s >= start and e <= end:
            inside += len(<str>edit[2]) - (e - s)
    return redacted, redacted[start + before:end + before + inside]


cdef class _TextWalk:
    cdef object p
    cdef str text
    cdef Py_ssize_t n
    cdef list edits
    cdef dict rules
    cdef object base64_fields
    cdef bint has_base64
    cdef bint escaped  # whether the last string token scanned holds a backslash
    cdef int kind  # the text's storage: 1, 2 or 4 bytes a character
    cdef void *data
    cdef tuple at  # the keys to a part whose span is wanted
    cdef Py_ssize_t found_start, found_end  # that part's span (-1: not found)

    def __init__(self, p, str text, tuple at):
        self.p = p
        self.text = text
        self.at = at
        self.found_start = self.found_end = -1
        self.n = len(text)
        self.kind = PyUnicode_KIND(text)
        self.data = PyUnicode_DATA(text)
        self.edits = []
        self.rules = p._rules
        self.base64_fields = p.base64_fields
        self.has_base64 = bool(self.base64_fields)

    cdef inline Py_UCS4 ch(self, Py_ssize_t i) except? 0:
        """The character at *i*; past the end, an error (the text was not strict JSON after
        all: never read outside the string)."""
        if i >= self.n:
            raise ValueError("redact_json_text: not a strict JSON text")
        return PyUnicode_READ(self.kind, self.data, i)

    cdef inline Py_ssize_t ws(self, Py_ssize_t i) noexcept:
        cdef Py_UCS4 c
        while i < self.n:
            c = PyUnicode_READ(self.kind, self.data, i)
            if c != 32 and c != 10 and c != 13 and c != 9:
                break
            i += 1
        return i

    cdef Py_ssize_t string_end(self, Py_ssize_t i) except -1:
        """The end of the string token at *i*; sets ``escaped``."""
        cdef Py_UCS4 c
        cdef const char *base
        cdef const char *quote
        i += 1
        self.escaped = False
        if self.kind == 1:  # one byte a character: find the closing quote with memchr
            base = <const char *>self.data
            while True:
                quote = <const char *>memchr(base + i, 34, self.n - i) if i < self.n else NULL
                if quote == NULL:
                    raise ValueError("redact_json_text: not a strict JSON text")
                if memchr(base + i, 92, quote - (base + i)) == NULL:
                    return quote - base + 1
                self.escaped = True
                break
        while True:
            c = self.ch(i)
            if c == 34:
                return i + 1
            if c == 92:
                self.escaped = True
                i += 2
            else:
                i += 1

    cdef inline object string_value(self, Py_ssize_t i, Py_ssize_t end):
        if self.escaped:
            return _loads(self.text[i:end])
        return self.text[i + 1:end - 1]

    cdef Py_ssize_t scalar_end(self, Py_ssize_t i) except -1:
        cdef Py_UCS4 c = self.ch(i)
        if c == 116 or c == 110:  # true, null
            return i + 4
        if c == 102:  # false
            return i + 5
        i += 1
        while i < self.n:
            c = self.ch(i)
            if not (48 <= c <= 57 or c == 46 or c == 101 or c == 69 or c == 43 or c == 45):
                break
            i += 1
        return i

    cdef int replace(self, Py_ssize_t start, Py_ssize_t end, object old, object new) except -1:
        if new is not old and new != old:
            self.edits.append((start, end, _token(new)))
        return 0

    cdef int big_integer(self, Py_ssize_t i, Py_ssize_t end, object where) except -1:
        cdef Py_ssize_t j
        cdef Py_UCS4 c
        cdef str token
        if end - i < 13:  # 10**12 has 13 digits
            return 0
        for j in range(i, end):
            c = self.ch(j)
            if not 48 <= c <= 57:
                return 0
        token = self.text[i:end]
        if int(token) > _BIG:
            redacted = self.p.value(token, where)
            if redacted != token:
                self.edits.append((i, end, _token(redacted)))
        return 0

    cdef Py_ssize_t value(self, Py_ssize_t i, object where, object parent, Py_ssize_t on=-1) except -1:
        """A value no rule names: ``Pass.json``. *on*: the index in ``at`` of the key this
        value may hold on the way to the wanted part (-1: off the way)."""
        cdef Py_UCS4 c = self.ch(i)
        cdef Py_ssize_t end
        cdef object value
        if c == 123:
            return self.obj(i, where, parent, on)
        if c == 91:
            return self.arr(i, where, parent)
        if c == 34:
            end = self.string_end(i)
            if end - i - 2 >= _MIN_LENGTH:
                value = self.string_value(i, end)
                if len(<str>value) >= _MIN_LENGTH and _secret(<str>value):
                    self.replace(i, end, value, self.p._detected(value, where))
            return end
        end = self.scalar_end(i)
        self.big_integer(i, end, where)
        return end

    cdef Py_ssize_t obj(self, Py_ssize_t i, object where, object parent, Py_ssize_t on) except -1:
        cdef str text = self.text
        cdef object p = self.p
        cdef Py_ssize_t key_start, end, value_start
        cdef bint towards
        cdef object key, rule, value
        cdef list secret_keys = None  # (start, end, key) of keys a detector may match
        cdef bint long_secret_key = False
        cdef Py_UCS4 c
        i = self.ws(i + 1)
        if self.ch(i) == 125:
            return i + 1
        while True:
            key_start = i
            i = self.string_end(i)
            key = self.string_value(key_start, i)
            if _secret(<str>key):
                if secret_keys is None:
                    secret_keys = []
                secret_keys.append((key_start, i, key))
                if len(<str>key) >= _MIN_LENGTH:
                    long_secret_key = True
            i = self.ws(self.ws(i) + 1)  # past the colon
            rule = self.rules.get(key)
            if rule is None:
                rule = p.rule_for(key)
            elif rule is _NO_RULE:
                rule = None
            if rule is None and parent is not None and len(<str>key) == 4 and (<str>key).lower() == "name":
                rule = _contextual_rule(parent, "name")
            c = self.ch(i)
            value_start = i
            towards = on >= 0 and key == self.at[on]
            if rule is not None and rule.action != "keep":
                i = self.all(i, rule, f"{where}.{key}")
            elif c == 34:
                end = self.string_end(i)
                if self.has_base64 and _normalise(key) in self.base64_fields:
                    value = self.string_value(i, end)
                    self.replace(i, end, value, p._base64_json(value, f"{where}.{key}"))
                elif end - i - 2 >= _MIN_LENGTH:
                    value = self.string_value(i, end)
                    if len(<str>value) >= _MIN_LENGTH and _secret(<str>value):
                        self.replace(i, end, value, p._detected(value, f"{where}.{key}"))
                i = end
            elif c == 123 or c == 91:
                i = self.value(i, f"{where}.{key}", _normalise(key),
                               on + 1 if towards and on + 1 < len(self.at) else -1)
            else:
                end = self.scalar_end(i)
                if end - i >= 13:
                    self.big_integer(i, end, f"{where}.{key}")
                i = end
            if towards and on + 1 == len(self.at):
                self.found_start, self.found_end = value_start, i
            i = self.ws(i)
            if self.ch(i) == 125:
                break
            i = self.ws(i + 1)  # past the comma
        if long_secret_key:  # secrets in the keys themselves: after the values, as Pass._dict
            for key_start, end, key in secret_keys:
                self.replace(key_start, end, key, p._detected(key, f"{where}.<key>"))
            self.edits.sort()
        return i + 1

    cdef Py_ssize_t arr(self, Py_ssize_t i, object where, object parent) except -1:
        cdef str text = self.text
        cdef Py_ssize_t n = 0, end
        cdef Py_UCS4 c
        i = self.ws(i + 1)
        if self.ch(i) == 93:
            return i + 1
        while True:
            c = self.ch(i)
            if c == 123 or c == 91:
                i = self.value(i, f"{where}[{n}]", parent)
            elif c == 34:
                end = self.string_end(i)
                if end - i - 2 >= _MIN_LENGTH:
                    i = self.value(i, f"{where}[{n}]", parent)
                else:
                    i = end
            else:
                end = self.scalar_end(i)
                if end - i >= 13:
                    self.big_integer(i, end, f"{where}[{n}]")
                i = end
            n += 1
            i = self.ws(i)
            if self.ch(i) == 93:
                return i + 1
            i = self.ws(i + 1)

    cdef Py_ssize_t all(self, Py_ssize_t i, object rule, object where) except -1:
        """``Pass._all``: every leaf at *i* falls under *rule*."""
        cdef str text = self.text
        cdef Py_UCS4 c = self.ch(i)
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
                i = self.ws(self.all(i, rule, f"{where}.{key}"))
                if self.ch(i) == 125:
                    return i + 1
                i = self.ws(i + 1)
        if c == 91:
            i = self.ws(i + 1)
            if self.ch(i) == 93:
                return i + 1
            while True:
                i = self.ws(self.all(i, rule, f"{where}[{n}]"))
                n += 1
                if self.ch(i) == 93:
                    return i + 1
                i = self.ws(i + 1)
        if c == 34:
            end = self.string_end(i)
            value = self.string_value(i, end)
        else:
            end = self.scalar_end(i)
            value = _loads(text[i:end])
        self.replace(i, end, value, self.p._apply(rule, value, where))
        return end
