"""The JSON schema of recorded bodies, inferred per operation, and its drift between cassettes.

For every (vendor, operation) the request parameters and the response bodies are walked
(up to ``limit`` of each, the most recent) and every field path gets its JSON types and
how often it is present: ``ReturnObject.Invoices[].Total  number  0.97``. Comparing two
cassettes' schemas shows fields that appeared, disappeared, changed type or became
optional: what a vendor changed without saying so.
"""

from __future__ import annotations

import collections

import duckdb
import pyarrow as pa

from tillroll.capture import jsonish

from .views import arrow


# The latest bodies of every operation (the limit is the parameter).
LATEST_BODIES = """
    SELECT vendor, operation, params_json, response_body_text FROM (
        SELECT *, row_number() OVER (PARTITION BY vendor, operation ORDER BY started_at DESC) AS n
        FROM exchanges)
    WHERE n <= ?
"""
_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number",
          type(None): "null"}


def infer(con: duckdb.DuckDBPyConnection, limit: int = 1000) -> pa.Table:
    """``vendor, operation, side, path, types, present, bodies, ratio`` for every field seen."""
    counts: dict[tuple, collections.Counter] = collections.defaultdict(collections.Counter)
    types: dict[tuple, set] = collections.defaultdict(set)
    bodies: collections.Counter = collections.Counter()
    for batch in arrow(con.sql(LATEST_BODIES, params=[int(limit)])).to_batches():
        for vendor, operation, params, response in zip(*(batch.column(i).to_pylist() for i in range(4))):
            for side, text in (("request", params), ("response", response)):
                value = _parse(text)
                if value is None:
                    continue
                group = (vendor, operation, side)
                bodies[group] += 1
                seen: dict[str, set] = collections.defaultdict(set)
                _walk(value, "$", seen)
                for path, kinds in seen.items():
                    counts[group][path] += 1
                    types[group + (path,)] |= kinds
    rows = []
    for group, paths in sorted(counts.items()):
        for path, present in sorted(paths.items()):
            rows.append({"vendor": group[0], "operation": group[1], "side": group[2], "path": path,
                         "types": "|".join(sorted(types[group + (path,)])), "present": present,
                         "bodies": bodies[group], "ratio": round(present / bodies[group], 3)})
    schema = pa.schema([("vendor", pa.string()), ("operation", pa.string()), ("side", pa.string()),
                        ("path", pa.string()), ("types", pa.string()), ("present", pa.int64()),
                        ("bodies", pa.int64()), ("ratio", pa.float64())])
    return pa.Table.from_pylist(rows, schema)


def diff(old: pa.Table, new: pa.Table, presence_change: float = 0.2) -> pa.Table:
    """What changed from *old* to *new*: fields added or removed, types changed, and
    presence that moved by more than *presence_change* (a field become optional).
    Only operations recorded in both are compared; the others are listed once."""
    def index(table):
        return {(r["vendor"], r["operation"], r["side"], r["path"]): r for r in table.to_pylist()}

    a, b = index(old), index(new)
    ops_a = {k[:3] for k in a}
    ops_b = {k[:3] for k in b}
    rows = []
    for op in sorted(ops_a ^ ops_b):
        rows.append(_change(op, "", "operation only in " + ("old" if op in ops_a else "new"), None, None))
    for key in sorted((a.keys() | b.keys())):
        if key[:3] not in ops_a & ops_b:
            continue
        before, after = a.get(key), b.get(key)
        if before is None:
            rows.append(_change(key[:3], key[3], "added", None, f"{after['types']} ({after['ratio']:.0%})"))
        elif after is None:
            rows.append(_change(key[:3], key[3], "removed", f"{before['types']} ({before['ratio']:.0%})", None))
        elif before["types"] != after["types"]:
            rows.append(_change(key[:3], key[3], "type changed", before["types"], after["types"]))
        elif abs(before["ratio"] - after["ratio"]) > presence_change:
            rows.append(_change(key[:3], key[3], "presence changed", f"{before['ratio']:.0%}", f"{after['ratio']:.0%}"))
    schema = pa.schema([("vendor", pa.string()), ("operation", pa.string()), ("side", pa.string()),
                        ("path", pa.string()), ("change", pa.string()), ("old", pa.string()), ("new", pa.string())])
    return pa.Table.from_pylist(rows, schema)


def _change(op, path, change, old, new) -> dict:
    return {"vendor": op[0], "operation": op[1], "side": op[2], "path": path, "change": change, "old": old, "new": new}


def _parse(text):
    if not text or text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        return jsonish.loads(text)
    except ValueError:
        return None


def _walk(value, path: str, seen: dict) -> None:
    seen[path].add(_TYPES.get(type(value), "unknown"))
    if isinstance(value, dict):
        for key, item in value.items():
            _walk(item, f"{path}.{key}", seen)
    elif isinstance(value, list):
        for item in value:
            _walk(item, f"{path}[]", seen)
