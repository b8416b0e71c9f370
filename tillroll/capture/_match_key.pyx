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

from libc.math cimport isfinite

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
