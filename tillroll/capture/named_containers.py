"""Arrays and objects a rule names, in text of unknown syntax (invalid JSON, logs): replaced
whole by :meth:`tillroll.capture.redact.Pass.named`, before its key=value forms, which would
take only the opening bracket of such a value and leave what is inside it in clear."""

from __future__ import annotations

import re
from typing import Any

# A key and what leads to its value in the key=value forms of text of unknown syntax (the
# quotes around the key optional, its closing one perhaps missing): Pass.named's too.
KEY_LEAD = r"""(?P<q>["']?)(?P<key>[A-Za-z_][\w.-]{0,63})(?P=q)["']?\s*[:=]\s*"""
# A key whose value is an array or an object (named() replaces such a value whole).
_KEYED_CONTAINER = re.compile(KEY_LEAD + r"(?=[\[{])")
_BRACKET = re.compile(r"[\[\]{}]")


def _container_end(text: str, start: int) -> int:
    """The end of the array or object opening at *start*: where its brackets close again
    (brackets of either kind counted), or the text's end."""
    depth = 0
    for m in _BRACKET.finditer(text, start):
        if m.group() in "[{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return m.end()
    return len(text)


def named_containers(p: Any, text: str, where: str) -> str:
    """*text* with every array or object a rule names (``"coordinates": [...]``) replaced
    whole, to its closing bracket (or the text's end: fail closed): the key=value forms
    of ``Pass.named`` would take only its opening bracket and leave what is inside."""
    if "[" not in text and "{" not in text:
        return text
    out, last = [], 0
    for m in _KEYED_CONTAINER.finditer(text):
        start = m.end()
        if start < last:
            continue  # inside a container already replaced
        rule = p.rule_for(m.group("key"))
        if rule is None or rule.action == "keep":
            continue
        end = _container_end(text, start)
        new = p._apply(rule, text[start:end], f"{where}.{m.group('key')}")
        out += [text[last:start], new]
        last = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)
