"""Requests that matched no recording, in words (pure): what a failing test prints.

The pytest plugin fails a test whose requests matched nothing; like vcrpy with its
closest matches, the failure says why — for each distinct request, the nearest
recordings, the matchers that failed and the fields that differ:

    POST /order (order.process)
      nearest: POST /order (order.process)  [01JD…]  failed: params
        params.receipt_number: R-NEVER vs R-2001 (request vs recorded)

Everything shown comes from the replayer's match documents and near-miss reports, which
hold redacted values only (secrets as pseudonyms); values are cut short and made one line.
"""

from __future__ import annotations

import json
from typing import Any

MAX_REQUESTS = 10  # distinct requests explained; the rest are counted
MAX_FIELDS = 8  # differing fields shown per recording
MAX_VALUE = 60  # characters of a value


def explain_misses(misses: list[dict]) -> list[str]:
    """Lines for the distinct unmatched requests of :meth:`Replayer.unmatched_explained`,
    oldest first (indented two spaces)."""
    lines: list[str] = []
    for miss in misses[:MAX_REQUESTS]:
        times = f"  ({miss['count']} times)" if miss.get("count", 1) > 1 else ""
        lines.append(f"  {miss['request']}{times}")
        lines += ["    " + line for line in _why(miss)]
    if len(misses) > MAX_REQUESTS:
        lines.append(f"  … and {len(misses) - MAX_REQUESTS} more distinct request(s)")
    return lines


def _why(miss: dict) -> list[str]:
    if miss["kind"] == "exhausted":
        return [f"all {miss.get('recorded', 0)} recording(s) of this request were already served "
                "(sequence policy: error)"]
    if miss["kind"] == "undecodable":
        return [f"cannot be replayed: {miss.get('problem') or 'its body does not decode'}"]
    nearest = miss.get("nearest") or []
    if not nearest:
        return ["no recording to compare it with (the cassette has none of this method and operation)"]
    out = []
    for near in nearest:
        failed = ", ".join(near.get("failed_matchers") or []) or "none"
        out.append(f"nearest: {near['request']}  [{near.get('exchange_id')}]  failed: {failed}")
        diff = near.get("diff") or []
        if diff:
            out.append("  fields that differ (request vs recorded):")
            out += [f"    {d['field']}: {_value(d.get('request'))} vs {_value(d.get('recorded'))}"
                    for d in diff[:MAX_FIELDS]]
            if len(diff) > MAX_FIELDS:
                out.append(f"    … and {len(diff) - MAX_FIELDS} more field(s)")
    return out


def _value(value: Any) -> str:
    """A field's value on one short line: a plain word as it is, anything else as JSON."""
    if value is None:
        return "(absent)"
    if isinstance(value, str) and value and value.isprintable() and " " not in value and len(value) <= MAX_VALUE:
        return value
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
