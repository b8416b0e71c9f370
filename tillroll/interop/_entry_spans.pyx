# cython: boundscheck=False, wraparound=False, language_level=3
"""The compiled twin of :func:`tillroll.interop.entry_spans.scan_elements` (same contract,
same results; that module is the reference and says what the function does)."""

cdef enum:
    MORE = 0
    CLOSED = 1
    UNSURE = 2
    OPENED = 0
    AFTER_COMMA = 1
    AFTER_ELEMENT = 2


from libc.string cimport memchr


cdef inline bint _ws(unsigned char c) noexcept nogil:
    return c == 0x20 or c == 0x09 or c == 0x0A or c == 0x0D


cdef inline Py_ssize_t _string_end(const unsigned char* b, Py_ssize_t pos, Py_ssize_t n) noexcept nogil:
    """Just after the closing quote of the string whose content starts at *pos*; -1 when
    the buffer ends first. A quote closes it when an even number of backslashes precede it
    (memchr finds the quotes: most of a HAR file's bytes are inside strings)."""
    cdef const unsigned char* q
    cdef Py_ssize_t at, k
    while pos < n:
        q = <const unsigned char*>memchr(b + pos, 0x22, n - pos)
        if q == NULL:
            return -1
        at = q - b
        k = at - 1
        while b[k] == 0x5C:  # stops at the opening quote at the latest
            k -= 1
        if (at - 1 - k) % 2 == 0:
            return at + 1
        pos = at + 1
    return -1


def scan_elements(const unsigned char[::1] buf, Py_ssize_t pos, int state, list out):
    cdef Py_ssize_t n = buf.shape[0]
    cdef const unsigned char* b = &buf[0] if n else NULL
    cdef Py_ssize_t start
    cdef unsigned char c
    cdef long depth, deepest
    while True:
        while pos < n and _ws(buf[pos]):
            pos += 1
        if pos >= n:
            return MORE, pos, state
        c = buf[pos]
        if state == AFTER_ELEMENT:
            if c == 0x2C:
                pos += 1
                state = AFTER_COMMA
                continue
            if c == 0x5D:
                return CLOSED, pos + 1, state
            return UNSURE, pos, state
        if c == 0x5D and state == OPENED:
            return CLOSED, pos + 1, state
        if c == 0x2C or c == 0x5D or c == 0x7D or c == 0x3A:
            return UNSURE, pos, state
        start = pos
        if c == 0x7B or c == 0x5B:  # '{' '['
            depth = 0
            deepest = 0
            while True:
                if pos >= n:
                    return MORE, start, state
                c = buf[pos]
                if c == 0x22:  # a string: to its closing quote, escapes jumped
                    pos = _string_end(b, pos + 1, n)
                    if pos < 0:
                        return MORE, start, state
                    continue
                elif c == 0x7B or c == 0x5B:
                    depth += 1
                    if depth > deepest:
                        deepest = depth
                elif c == 0x7D or c == 0x5D:
                    depth -= 1
                    if depth == 0:
                        pos += 1
                        break
                pos += 1
            out.append(start)
            out.append(pos)
            out.append(deepest)
        elif c == 0x22:
            pos = _string_end(b, pos + 1, n)
            if pos < 0:
                return MORE, start, state
            out.append(start)
            out.append(pos)
            out.append(0)
        else:
            while pos < n:
                c = buf[pos]
                if _ws(c) or c == 0x2C or c == 0x5D or c == 0x7D:
                    break
                pos += 1
            if pos >= n:
                return MORE, start, state
            out.append(start)
            out.append(pos)
            out.append(0)
        state = AFTER_ELEMENT
