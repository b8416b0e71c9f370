"""YAML cassettes read as plain data, never as code.

vcrpy before 1.0 wrote its requests as ``!!python/object:vcr.request.Request`` with
``!!python/tuple`` and ``!!python/unicode`` inside, and Ruby's Psych writes bodies that are
not UTF-8 as ``!binary``. PyYAML's full loader would *run* python tags (a cassette saying
``!!python/object/apply:os.system`` executes a command), so this loader is PyYAML's safe
one plus constructors that turn exactly those tags into plain dicts, lists, strings and
bytes. Any other python tag is refused with :class:`UnsafeYaml`, naming the tag (never
a value from the file).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import yaml

try:  # libyaml when present (several times faster); same safe constructors either way
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Base = yaml.SafeLoader

_PY = "tag:yaml.org,2002:python/"
# vcrpy's own objects and the builtins its old cassettes hold: plain data, no code
_PLAIN_OBJECTS = ("vcr.request.Request",)
_SETS = ("__builtin__.frozenset", "builtins.frozenset", "__builtin__.set", "builtins.set")


class UnsafeYaml(Exception):
    """The YAML cannot be read as plain data: one sentence."""


class CassetteLoader(_Base):
    """PyYAML's safe loader, plus the tags cassettes carry, read as data."""


def _text(loader: CassetteLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))


def _binary(loader: CassetteLoader, node: yaml.Node) -> bytes:
    text = loader.construct_scalar(node)
    try:
        return base64.b64decode("".join(str(text).split()), validate=True)
    except (binascii.Error, ValueError):
        raise UnsafeYaml("has a !binary value that is not valid base64") from None


def _python(loader: CassetteLoader, suffix: str, node: yaml.Node) -> Any:
    """``!!python/<suffix>``: the few vcrpy wrote, as data; anything else is refused."""
    if suffix in ("unicode", "str", "bytes"):
        value = _text(loader, node)
        return value.encode("utf-8") if suffix == "bytes" else value
    if suffix == "tuple" and isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if suffix.startswith("object:") and suffix[len("object:"):] in _PLAIN_OBJECTS \
            and isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if suffix.startswith("object/apply:") and suffix[len("object/apply:"):] in _SETS \
            and isinstance(node, yaml.SequenceNode):
        args = loader.construct_sequence(node, deep=True)  # [[item, ...]]: the set's one argument
        return list(args[0]) if args and isinstance(args[0], list) else []
    raise UnsafeYaml(f"uses the YAML tag !!python/{suffix[:60]}, which would run code when loaded: "
                     "not imported (tillroll reads only the python tags vcrpy itself wrote)")


def _line(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}" if mark is not None else ""


_TAG = re.compile(r"tag '([^'\s]{1,200})'")
CassetteLoader.add_constructor("!binary", _binary)  # Ruby's Psych: local tag, base64
CassetteLoader.add_multi_constructor(_PY, _python)


def load_yaml(text: bytes) -> Any:
    """The YAML document *text* as plain data. Raises :class:`UnsafeYaml` (a tag that would
    run code, an unknown tag, several documents, not YAML), never quoting the file."""
    try:
        return yaml.load(text, Loader=CassetteLoader)  # noqa: S506 - the loader above is safe
    except UnsafeYaml:
        raise
    except yaml.constructor.ConstructorError as exc:
        found = _TAG.search(str(getattr(exc, "problem", "") or ""))
        tag = found.group(1).replace("tag:yaml.org,2002:", "!!")[:60] if found else "an unknown tag"
        raise UnsafeYaml(f"uses the YAML tag {tag}{_line(exc)}, which tillroll does not read") from None
    except yaml.composer.ComposerError as exc:
        if "another document" in str(exc.problem):
            raise UnsafeYaml("holds more than one YAML document: a cassette is one") from None
        raise UnsafeYaml(f"is not valid YAML (an alias to an anchor it does not define{_line(exc)})") from None
    except yaml.YAMLError as exc:
        # PyYAML's problems are its grammar's words ("did not find expected key"), quoting at most
        # one character of the file
        problem = str(getattr(exc, "problem", "") or "it does not parse")[:80]
        raise UnsafeYaml(f"is not valid YAML ({problem}{_line(exc)})") from None
    except (ValueError, RecursionError):
        raise UnsafeYaml("is not valid YAML (a value or nesting it cannot hold)") from None
