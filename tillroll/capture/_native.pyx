# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The capture hot path, compiled: the same behaviour as the pure-Python functions it
accelerates, which stay the oracle (``TILLROLL_NO_EXTENSIONS=1`` runs them instead).

* :func:`maybe_secret`: :func:`tillroll.capture.detectors.maybe_secret` in one pass over
  the characters (the pure one makes up to five C-level scans and a UTF-8 copy).
* :func:`redact_dict` / :func:`redact_list`: ``Pass._dict`` / ``Pass._list``, the walk
  over a parsed JSON value; the rare branches (a rule applies, a detector may match, a
  Base64 member) call back into the pure methods, so the behaviour has one definition.
* :func:`may_overflow` / :func:`finite`: ``jsonish``'s limits on numbers;
  :func:`nesting_marks`: its prefilter on depth.
* :func:`redact_headers`: ``Pass.headers`` for the common header; the others go to
  ``Pass._header``.
* :func:`apply`: ``Pass._apply``, one value under a rule.

The redaction of a JSON text where it stands is its own module, ``_json_text.pyx``; the
match key's work is ``_match_key.pyx``.
Non-ASCII text goes to the pure functions where Unicode case rules matter (a Kelvin sign
lowercases to ``k``), so both paths agree on every string.
"""

from json import dumps as _json_dumps

from libc.math cimport isfinite
from libc.string cimport memchr, memcmp

cdef extern from "Python.h":
    int PyUnicode_KIND(object text)
    void *PyUnicode_DATA(object text)

cdef object _pure_maybe_secret = None
cdef object _NO_RULE = None
cdef object _contextual_rule = None
cdef object _normalise = None
cdef Py_ssize_t _MIN_LENGTH = 6
cdef object _BIG = 10 ** 12
cdef object _pure_may_overflow = None
cdef object _PERSON_CONTAINERS = frozenset()


def configure_jsonish(pure_may_overflow):
    """The pure overflow prefilter, for text with non-ASCII digits (``\\d`` matches them)."""
    global _pure_may_overflow
    _pure_may_overflow = pure_may_overflow


def may_overflow(str text):
    """``re.search(r"[eE]\\+?\\d{3}|\\d{309}", text) is not None``: a float that may overflow."""
    cdef Py_ssize_t n = len(text), i, j, run = 0
    cdef const unsigned char *p
    cdef unsigned char c
    if not text.isascii():
        return _pure_may_overflow(text)
    p = <const unsigned char *>PyUnicode_DATA(text)  # ASCII: one byte a character
    for i in range(n):
        c = p[i]
        if 48 <= c <= 57:
            run += 1
            if run >= 309:
                return True
            continue
        run = 0
        if c == 69 or c == 101:
            j = i + 1
            if j < n and p[j] == 43:  # "+"
                j += 1
            if j + 3 <= n and 48 <= p[j] <= 57 and 48 <= p[j + 1] <= 57 and 48 <= p[j + 2] <= 57:
                return True
    return False


def nesting_marks(str text):
    """``text.count("{") + text.count("[")`` in one pass (``jsonish.loads``' depth prefilter)."""
    cdef Py_ssize_t n = len(text), i, marks = 0
    cdef const unsigned char *p
    cdef unsigned char c
    if PyUnicode_KIND(text) != 1:
        return text.count("{") + text.count("[")
    p = <const unsigned char *>PyUnicode_DATA(text)
    for i in range(n):
        c = p[i]
        if c == 123 or c == 91:
            marks += 1
    return marks


def finite(value):
    """No float in *value* (a parsed JSON value, at any depth) is infinite or NaN."""
    cdef list stack = [value]
    cdef object item
    cdef type t
    cdef double f
    while stack:
        item = stack.pop()
        t = type(item)
        if t is float:
            f = item
            if not isfinite(f):
                return False
        elif t is dict:
            stack.extend((<dict>item).values())
        elif t is list:
            stack.extend(<list>item)
    return True


def configure_detectors(pure_maybe_secret):
    """The pure ``maybe_secret``, for text where Unicode case rules matter."""
    global _pure_maybe_secret
    _pure_maybe_secret = pure_maybe_secret


def configure_walk(no_rule, contextual_rule, normalise, Py_ssize_t min_length, person_containers):
    """The markers and pure functions the compiled walk defers to."""
    global _NO_RULE, _contextual_rule, _normalise, _MIN_LENGTH, _PERSON_CONTAINERS
    _PERSON_CONTAINERS = person_containers
    _NO_RULE = no_rule
    _contextual_rule = contextual_rule
    _normalise = normalise
    _MIN_LENGTH = min_length


cdef bint _secret(str text) except -1:
    if not text.isascii():
        return _pure_maybe_secret(text)
    return _ascii_secret(<const unsigned char *>PyUnicode_DATA(text), len(text))


cdef enum:
    _LONGEST_RUN_CHECKED = 64  # detectors.LONGEST_RUN_CHECKED


cdef inline bint _lower_word_at(const unsigned char *s, Py_ssize_t i, Py_ssize_t n, const char *word,
                                Py_ssize_t m) noexcept:
    """Whether the lowercase ASCII *word* (*m* letters) stands at *i*, ignoring ASCII case."""
    cdef Py_ssize_t j
    cdef unsigned char c
    if i + m > n:
        return False
    for j in range(m):
        c = s[i + j]
        if (c + 32 if 65 <= c <= 90 else c) != <unsigned char>word[j]:
            return False
    return True


cdef inline bint _scheme_at(const unsigned char *s, Py_ssize_t i, Py_ssize_t n, const char *word,
                            Py_ssize_t m) noexcept:
    """``detectors._scheme_then_blank`` at *i*: *word* followed by a blank (Python's ``\\s``
    in ASCII) or a backslash."""
    cdef unsigned char c
    if i + m >= n or not _lower_word_at(s, i, n, word, m):
        return False
    c = s[i + m]
    return c == 32 or 9 <= c <= 13 or 28 <= c <= 31 or c == 92


cdef inline bint _word_byte(unsigned char c) noexcept:
    """Whether ASCII *c* is a word character (Python's ``\\w``: letters, digits, ``_``)."""
    return 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c == 95


cdef bint _card_in(const unsigned char *s, Py_ssize_t n, const Py_ssize_t *at, Py_ssize_t count) noexcept:
    """``detectors.may_hold_card`` of the *count* digits (13 to 64) standing at the offsets
    *at* of the *n* bytes at *s*: a window of 13-19 of them that ``is_card_number`` accepts,
    with no word character right before it or right after it (a letter after a backslash
    counts as a blank: ``\\n4111…`` in JSON text not yet decoded)."""
    cdef Py_ssize_t first, last, j, i
    cdef int total, v
    cdef unsigned char lead
    cdef bint same
    for first in range(count - 12):
        i = at[first]
        lead = s[i] - 48
        if lead < 2 or lead > 6 or (i > 0 and _word_byte(s[i - 1]) and not (i >= 2 and s[i - 2] == 92)):
            continue
        for last in range(first + 12, min(first + 19, count)):
            i = at[last]
            if (last == first + 12 and lead != 4) or (i + 1 < n and _word_byte(s[i + 1])):
                continue
            total = 0
            same = True
            for j in range(last - first + 1):  # Luhn, from the last digit
                v = s[at[last - j]] - 48
                if v != lead:
                    same = False
                if j & 1:
                    v = v * 2 - 9 if v > 4 else v * 2
                total += v
            if total % 10 == 0 and not same:
                return True
    return False


cdef int _ascii_secret(const unsigned char *s, Py_ssize_t n) noexcept:
    """``detectors.maybe_secret`` of the text in the *n* bytes at *s*, one byte a character:
    1 or 0 for ASCII text; for other text 1 where the pure function surely says so too (its
    rules for other text take in at least what these do), else -1 (then ask the pure one)."""
    cdef Py_ssize_t i, run = 0
    cdef unsigned char c, c1
    cdef Py_ssize_t at[_LONGEST_RUN_CHECKED]  # where the digits of the current run stand
    if memchr(s, 64, n) != NULL:  # @
        return 1
    if n < 13:
        return 0
    c, c1 = s[0], s[1]
    if (c == 101 and (c1 == 121 or c1 == 119 or c1 == 51)) or \
            (c == 87 and (c1 == 121 or c1 == 119 or c1 == 51 or c1 == 122 or c1 == 50 or c1 == 49)):
        return 1  # Base64 of JSON (detectors.BASE64_JSON_STARTS)
    for i in range(n + 1):
        c = s[i] if i < n else 0
        if 48 <= c <= 57:
            if run == _LONGEST_RUN_CHECKED:
                return 1  # too long a run to look at window by window
            at[run] = i
            run += 1
            continue
        if c == 32 or c == 45:  # spaces and dashes inside a number do not break it
            if c == 45 and i + 10 <= n and memcmp(s + i, b"-----BEGIN", 10) == 0:
                return 1
            continue
        if run >= 13 and _card_in(s, n, at, run):
            return 1
        run = 0
        if c >= 128:
            return -1
        if c == 101 and i + 3 <= n and s[i + 1] == 121 and s[i + 2] == 74:  # eyJ, case-sensitive
            return 1
        if c == 66 or c == 98:
            if _scheme_at(s, i, n, b"bearer", 6) or _scheme_at(s, i, n, b"basic", 5):
                return 1
        elif c == 84 or c == 116:
            if _scheme_at(s, i, n, b"token", 5):
                return 1
    return 0


def maybe_secret(str text):
    return _secret(text)


def redact_json(self, obj, where, parent=None):
    """``Pass.json``: a redacted copy of the JSON value *obj*; containers already walked
    in this pass come from its memo."""
    cdef type kind = type(obj)
    cdef dict memo
    cdef object hit, out, text, redacted
    if kind is dict or kind is list:
        memo = self._memo
        hit = memo.get(id(obj))
        if hit is not None and (<tuple>hit)[0] is obj:
            return (<tuple>hit)[1]
        out = redact_dict(self, obj, where, parent) if kind is dict else redact_list(self, obj, where, parent)
        memo[id(obj)] = (obj, out)
        return out
    if kind is str:
        if len(<str>obj) < _MIN_LENGTH or not _secret(<str>obj):
            return obj
        return self._detected(obj, where)
    if kind is int and obj > _BIG:
        text = str(obj)
        redacted = self.value(text, where)
        return obj if redacted == text else redacted
    return obj


def redact_dict(self, dict obj, str where, parent):
    """``Pass._dict``: a redacted copy of *obj* (itself when nothing changes)."""
    cdef dict out = None
    cdef dict rules = self._rules
    cdef object base64_fields = self.base64_fields
    cdef bint has_base64 = bool(base64_fields)
    cdef object rule, new, k, v
    cdef type tv
    for k, v in obj.items():
        rule = rules.get(k)
        if rule is None:
            rule = self.rule_for(k) if type(k) is str else None
        elif rule is _NO_RULE:
            rule = None
        if rule is None and parent is not None and type(k) is str and len(<str>k) == 4 and (<str>k).lower() == "name":
            rule = _contextual_rule(parent, "name")
        tv = type(v)
        if rule is not None and rule.action != "keep":
            new = self._apply(rule, v, f"{where}.{k}")
        elif tv is str:
            if has_base64 and _normalise(k) in base64_fields:
                new = self._base64_json(v, f"{where}.{k}")
            elif len(<str>v) < _MIN_LENGTH or not _secret(<str>v):
                continue
            else:
                new = self._detected(v, f"{where}.{k}")
        elif tv is dict or tv is list:
            new = redact_json(self, v, f"{where}.{k}", _normalise(k))
        elif tv is int and v > _BIG:
            new = redact_json(self, v, f"{where}.{k}")
        else:
            continue
        if new is not v and new != v:
            if out is None:
                out = dict(obj)
            out[k] = new
    if out is None:
        out = obj
    for k in out:  # secrets in the keys themselves (a map keyed by email): rare, so pure
        if type(k) is str and len(<str>k) >= _MIN_LENGTH and _secret(<str>k):
            return self._keys_rewritten(out, where)
    return out


def redact_list(self, list obj, str where, parent):
    """``Pass._list``: a redacted copy of *obj* (itself when nothing changes)."""
    cdef list out = None
    cdef Py_ssize_t i
    cdef object v, new
    cdef type t
    for i in range(len(obj)):
        v = obj[i]
        t = type(v)
        if t is str:
            if len(<str>v) < _MIN_LENGTH or not _secret(<str>v):
                continue
            new = self._detected(v, f"{where}[{i}]")
        elif t is dict or t is list or t is int:
            new = redact_json(self, v, f"{where}[{i}]", parent)
        else:
            continue
        if new is not v and new != v:
            if out is None:
                out = list(obj)
            out[i] = new
    return obj if out is None else out


def redact_headers(self, list headers, str where):
    """``Pass.headers``: the common header (no rule, no URL, nothing a detector could
    match) kept here; any other goes to the pure ``Pass._header``."""
    cdef list out = []
    cdef dict rules = self._rules
    cdef object name, value, rule
    for name, value in headers:
        rule = rules.get(name)
        if rule is None:
            rule = self.rule_for(name)
        elif rule is _NO_RULE:
            rule = None
        if (rule is None or rule.action == "keep") and "?" not in value and \
                (len(<str>value) < _MIN_LENGTH or not _secret(<str>value)):
            out.append((name, value))
        else:
            out.append((name, self._header(name, value, rule, where)))
    return out


# -- one value under a rule (redact.Pass._apply) ------------------------------------------------

cdef str _PREFIX = "tillroll:"
cdef str _DROPPED = "tillroll:dropped"
cdef object _pseudonym_fullmatch = None
cdef object _pure_looks_like_card = None
cdef object _identifier_kind = None
cdef type _PASS = None
cdef type _REDACTOR = None
cdef type _SWEEP = None


def configure_apply(str prefix, str dropped, pseudonym_fullmatch, looks_like_card, identifier_kind,
                    type pass_type, type redactor_type, type sweep_type):
    """The pseudonym spellings and the pure helpers ``apply`` defers to (a pseudonym's
    grammar, non-ASCII digits, what a customer identifier is); the classes whose methods it
    inlines (``Redactor.pseudonym``, ``Pass._note``, ``Sweep.remember``) where they are
    the ones it is given."""
    global _PREFIX, _DROPPED, _pseudonym_fullmatch, _pure_looks_like_card, _identifier_kind, _PASS, _REDACTOR, _SWEEP
    _PREFIX, _DROPPED = prefix, dropped
    _pseudonym_fullmatch, _pure_looks_like_card, _identifier_kind = pseudonym_fullmatch, looks_like_card, identifier_kind
    _PASS, _REDACTOR, _SWEEP = pass_type, redactor_type, sweep_type


def apply(self, rule, value, where):
    """``Pass._apply``: the replacement of *value* under *rule* (records the redaction)."""
    cdef object action = rule.action
    cdef object text, out
    if action == "keep" or value is None or value == "" or isinstance(value, bool):
        return value
    if isinstance(value, (dict, list)):
        return self._all(value, rule, where)
    text = value if isinstance(value, str) else _json_dumps(value)
    if (<str>text).startswith(_PREFIX) and (text == _DROPPED or _pseudonym_fullmatch(text) is not None):
        return value
    if action == "drop":
        out = _DROPPED
    elif (action == "card" or action == "pii") and _card_shaped(<str>text):
        out = self.r.card(text)
    elif action == "card":
        out = self.r.pseudonym(_identifier_kind(text), text)
    elif type(self.r) is _REDACTOR:  # Redactor.pseudonym, inlined
        out = _PREFIX + rule.label + ":" + self.r.digest(text)
    else:
        out = self.r.pseudonym(rule.label, text)
    if type(self) is _PASS:
        _noted(self, where, rule.source, text, out)
    else:
        self._note(where, rule.source, text, out)
    return out


cdef inline int _noted(self, where, source, text, out) except -1:
    """``Pass._note``: the redaction listed, the value remembered for the sweep
    (``Sweep.remember``)."""
    if self.recording:
        (<list>self.redactions).append((where, source))
    sweeper = self.sweeper
    if type(sweeper) is not _SWEEP:
        sweeper.remember(text, out)
        return 0
    seen = <dict>sweeper.seen
    if text not in seen:
        seen[text] = out
        sweeper._forms = None
    return 0


cdef bint _card_shaped(str text) except -1:
    """``redact._looks_like_card``: 12-19 digits once spaces and dashes are dropped."""
    cdef Py_ssize_t digits = 0
    cdef Py_UCS4 c
    if not text.isascii():
        return _pure_looks_like_card(text)
    for c in text:
        if 48 <= c <= 57:
            digits += 1
        elif c != 32 and c != 45:
            return False
    return 12 <= digits <= 19
