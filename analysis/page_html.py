"""One self-contained HTML file of a :class:`~tillroll.analysis.page.Page`.

Everything is inline (CSS, script, charts as SVG): the file opens from ``file://`` with no
request leaving it. The figures are plain ``<table>``s and the charts SVG drawn here, so
the page reads without JavaScript; the script adds sorting, filtering by operation and the
exchanges, which travel gzip-compressed in an inert block and are decoded in the browser
(``DecompressionStream``) only when the list is first shown. Values are as the cassette
stores them: redacted.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

from tillroll.htmldoc import document, escape as _e, table as _table, utc as _t

from . import checks as checks_mod
from .page import Page

ASSETS = Path(__file__).with_name("page")
WIDTH = 960
LANES = 60  # sessions drawn as bars
NAV = (("glance", "glance"), ("operations", "operations"), ("timeline", "timeline"), ("sessions", "sessions"),
       ("coverage", "coverage"), ("findings", "findings"), ("exchanges", "exchanges"))
COLOURS = {"spot": "#3b7dd8", "spoton": "#2a9d8f", "xgl": "#9b5de5", "spoonity": "#e07a1f", "generic": "#7a869a"}


def render(page: Page) -> str:
    """The whole page, as text (UTF-8 when written)."""
    sections = [_glance(page), _operations(page), _timeline(page), _sessions(page), _coverage(page),
                _findings(page), _exchanges(page)]
    title = "tillroll: " + ", ".join(Path(c).name or c for c in page.cassettes)
    return document(title, "\n".join(sections), nav=NAV, script=(ASSETS / "page.js").read_text(),
                    data=_data_block(page))


# -- sections ---------------------------------------------------------------------------------

def _glance(page: Page) -> str:
    hidden = sum(r["hidden_in_2xx"] for r in page.outcomes)
    span = f"{_t(page.first)} – {_t(page.last)} UTC ({_duration(page.first, page.last)})" if page.first else "empty"
    alert = (f'<p class="alert" role="alert">⚠ {hidden:,} failure{"s" if hidden != 1 else ""} hidden inside '
             f'HTTP 2xx answers (SPOT "Failed": true, Spoonity success: false, XGL response codes and partial '
             f'declines): see the operations and exchanges below.</p>') if hidden else ""
    facts = [("cassettes", ", ".join(page.cassettes)), ("time span", span), ("exchanges", f"{page.exchanges:,}"),
             ("vendors", ", ".join(page.vendors) or "-"), ("SPOT sessions", f"{page.spot_sessions:,}")]
    rows = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in facts)
    return (f'<section id="glance"><h2>The day at a glance</h2>{alert}<table class="facts">{rows}</table>'
            + _table("outcomes", ["vendor", "exchanges", "ok", "hidden_in_2xx", "failed", "errors"], page.outcomes,
                     headers={"hidden_in_2xx": "failed inside HTTP 2xx", "errors": "transport errors"},
                     caption="Outcomes per vendor")
            + "</section>")


def _operations(page: Page) -> str:
    table = _table("operations", ["vendor", "operation", "exchanges", "failed", "hidden_in_2xx", "p50_ms", "p95_ms",
                                  "max_ms", "first_seen", "last_seen"], page.operations,
                   headers={"hidden_in_2xx": "hidden in 2xx", "p50_ms": "p50 ms", "p95_ms": "p95 ms",
                            "max_ms": "max ms", "first_seen": "first seen", "last_seen": "last seen"},
                   caption="Operations (choose a row to filter the exchanges; headers sort)",
                   row_attrs=lambda r: f' data-op="{_e(r["vendor"])} {_e(r["operation"])}" tabindex="0"')
    return f'<section id="operations"><h2>Operations</h2>{table}</section>'


def _timeline(page: Page) -> str:
    if not page.timeline:
        return ""
    start = _epoch(page.first)
    span = max(_epoch(page.last) - start, page.bucket_seconds)
    per_bucket: dict[float, list[dict]] = {}
    for row in page.timeline:
        per_bucket.setdefault(_epoch(row["bucket"]), []).append(row)
    top = max(sum(r["exchanges"] for r in rows) for rows in per_bucket.values())
    height, left = 160, 40
    bar = max((WIDTH - left) * page.bucket_seconds / (span + page.bucket_seconds) - 1, 1)
    shapes = []
    for t, rows in sorted(per_bucket.items()):
        x = left + (WIDTH - left) * (t - start) / (span + page.bucket_seconds)
        y = height
        for row in rows:
            h = height * row["exchanges"] / top
            y -= h
            tip = f"{_t(row['bucket'])} UTC, {row['vendor']}: {row['exchanges']:,} exchange(s), {row['failed']:,} failed"
            shapes.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                          f'fill="{_colour(row["vendor"])}"><title>{_e(tip)}</title></rect>')
        failed = sum(r["failed"] for r in rows)
        if failed:
            tip = f"{_t(rows[0]['bucket'])} UTC: {failed:,} failed"
            shapes.append(f'<circle class="fail" cx="{x + bar / 2:.1f}" cy="{y - 6:.1f}" r="3">'
                          f'<title>{_e(tip)}</title></circle>')
    axis = (f'<text x="0" y="12" class="axis">{top:,}</text><text x="{left}" y="{height + 16}" class="axis">'
            f'{_e(_t(page.first))}</text><text x="{WIDTH}" y="{height + 16}" class="axis" text-anchor="end">'
            f'{_e(_t(page.last))} UTC</text>')
    return (f'<section id="timeline"><h2>Timeline</h2><p>Exchanges per {_bucket_words(page.bucket_seconds)}, '
            f'by vendor; a red dot marks failures. {_legend(page.vendors)}</p>'
            f'<svg viewBox="0 -10 {WIDTH + 10} {height + 30}" role="img" aria-label="exchanges over time">'
            + "".join(shapes) + axis + "</svg></section>")


def _gantt(rows: list[tuple[str, float, float, str, str]], start: float, end: float, label: str) -> str:
    """Rows of (lane, from, to, css class, tooltip) as horizontal bars between *start* and *end*."""
    lanes = list(dict.fromkeys(r[0] for r in rows))
    left, lane_h = 220, 16
    span = max(end - start, 1.0)
    shapes = []
    for i, lane in enumerate(lanes):
        shapes.append(f'<text x="0" y="{i * lane_h + 12}" class="axis">{_e(lane[:34])}</text>')
    for lane, a, b, css, tip in rows:
        x = left + (WIDTH - left) * (max(a, start) - start) / span
        w = max((WIDTH - left) * (min(b, end) - max(a, start)) / span, 1.5)
        shapes.append(f'<rect class="{css}" x="{x:.1f}" y="{lanes.index(lane) * lane_h + 2}" width="{w:.1f}" '
                      f'height="{lane_h - 4}"><title>{_e(tip)}</title></rect>')
    h = len(lanes) * lane_h + 4
    return f'<svg viewBox="0 0 {WIDTH + 10} {h}" role="img" aria-label="{_e(label)}">' + "".join(shapes) + "</svg>"


def _sessions(page: Page) -> str:
    sessions = [r for r in page.sessions if r.get("first_use") and r.get("last_use")]
    rows = [(f"SPOT {r['session']}", _epoch(r["first_use"]), _epoch(r["last_use"]), "session",
             f"{r['session']}: {r['requests']:,} request(s), {_t(r['first_use'])} – {_t(r['last_use'])} UTC, "
             f"longest idle {r['longest_idle_seconds']} s")
            for r in sessions[:LANES]]
    rows += [(f["lane"], _epoch(f["first_at"]), _epoch(f["last_at"]), f"flow-{f['vendor']}",
              f"{f['lane']}: {f['what']}, {_t(f['first_at'])} – {_t(f['last_at'])} UTC "
              f"({(f['last_at'] - f['first_at']).total_seconds():,.1f} s)")
             for f in page.flows[:LANES]]
    if not rows:
        return ""
    cut = [f"the first {LANES:,} of {n:,} {what}" for n, what in ((len(sessions), "SPOT sessions"),
                                                                    (len(page.flows), "orders and transactions"))
           if n > LANES]
    more = f" Drawn: {'; '.join(cut)}." if cut else ""
    return (f'<section id="sessions"><h2>Sessions</h2><p>Each SPOT session (by its pseudonym) from its first '
            f'to its last use, each Spoonity order from its sale to its void, each XGL transaction from its '
            f'member lookup to its order.{more}</p>'
            f'{_gantt(rows, _epoch(page.first), _epoch(page.last), "sessions")}</section>')


def _coverage(page: Page) -> str:
    if not page.windows:
        return ""
    rows = [(f"{w['location_id']} {w['resource']}", _epoch(w["window_start"]), _epoch(w["window_end"]), "window",
             f"{w['resource']} asked for {_t(w['window_start'])} – {_t(w['window_end'])} UTC "
             f"({w['windows']:,} window(s))")
            for w in page.windows]
    rows += [(f"{g['location_id']} {g['resource']}", _epoch(g["gap_start"]), _epoch(g["gap_end"]), "gap",
              f"gap: {_t(g['gap_start'])} – {_t(g['gap_end'])} UTC never asked for ({g['gap_seconds']:,} s)")
             for g in page.gaps]
    start = min(r[1] for r in rows)
    end = max(r[2] for r in rows)
    gaps = _table("gaps", ["location_id", "resource", "gap_start", "gap_end", "gap_seconds"], page.gaps,
                  caption="Stretches never polled (the gaps report)") if page.gaps else "<p>No gaps.</p>"
    return (f'<section id="coverage"><h2>SpotOn polling coverage</h2><p>The windows the POS asked for, per '
            f'location and resource; red: time never asked for.</p>{_gantt(rows, start, end, "coverage")}{gaps}'
            "</section>")


def _findings(page: Page) -> str:
    if not page.findings_by_rule:
        return '<section id="findings"><h2>Findings</h2><p>Every vendor rule holds.</p></section>'
    rules = {c.rule: c for c in checks_mod.load()}
    by_rule = [{"severity": rules[r].severity, "rule": r, "vendor": r.split("-")[0], "findings": n, "doc": rules[r].doc}
               for r, n in sorted(page.findings_by_rule.items(), key=lambda item: (-item[1], item[0]))]
    total = sum(page.findings_by_rule.values())
    summary = _table("rules", ["severity", "rule", "vendor", "findings", "doc"], by_rule,
                     caption=f"{total:,} finding(s) of tillroll check, by rule")
    rows = [{"severity": f.severity, "rule": f.rule, "vendor": f.vendor, "operation": f.operation,
             "started_at": f.started_at, "detail": f.detail, "_id": f.exchange_id} for f in page.findings]
    listed = f"the first {len(rows):,} " if total > len(rows) else ""
    body = _table("findings", ["severity", "rule", "vendor", "operation", "started_at", "detail"], rows,
                  headers={"started_at": "at"}, caption=f"Each finding ({listed}in time order; choose one to open "
                                                        "its exchange)",
                  row_attrs=lambda r: f' data-exchange="{_e(r["_id"])}" tabindex="0"')
    return f'<section id="findings"><h2>Findings</h2>{summary}{body}</section>'


def _exchanges(page: Page) -> str:
    partly = page.left_out or page.in_full < len(page.details)
    left = (f"<p class=\"note\">Of {page.exchanges:,} exchanges the page lists {len(page.details):,}: every one "
            f"that did not end ok, and a sample of the rest per operation ({page.left_out:,} left out); "
            f"{page.in_full:,} of them in full, with headers and bodies, the others by their request line, "
            f"status and message.</p>") if partly else ""
    return ('<section id="exchanges"><h2>Exchanges</h2>' + left +
            '<noscript><p>Opening exchanges needs JavaScript; the tables above do not.</p></noscript>'
            '<div class="filters" hidden><label>vendor <select id="f-vendor"><option value="">all</option>'
            + "".join(f"<option>{_e(v)}</option>" for v in page.vendors) +
            '</select></label> <label>outcome <select id="f-outcome"><option value="">all</option>'
            '<option>ok</option><option>partial</option><option>failed</option><option>error</option></select>'
            '</label> <label>status <input id="f-status" size="4" inputmode="numeric"></label> '
            '<label>text <input id="f-text" type="search" size="24"></label> '
            '<span id="f-op"></span> <button id="f-clear" type="button">clear</button></div>'
            '<table id="exchange-list" class="list"><thead><tr><th scope="col">at (UTC)</th><th scope="col">vendor'
            '</th><th scope="col">operation</th><th scope="col">status</th><th scope="col">outcome</th>'
            '<th scope="col" class="num">ms</th><th scope="col">request</th></tr></thead><tbody></tbody></table>'
            '<div class="pager" hidden><button id="p-prev" type="button">previous</button> <span id="p-at"></span> '
            '<button id="p-next" type="button">next</button></div><div id="detail" tabindex="-1"></div></section>')


# -- pieces -----------------------------------------------------------------------------------

def _data_block(page: Page) -> str:
    """The exchanges, as gzip-compressed JSON in base64: inert until the script asks."""
    payload = json.dumps({"exchanges": page.details, "total": page.exchanges}, default=_json_default,
                         separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(gzip.compress(payload, compresslevel=9, mtime=0)).decode()


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _legend(vendors: list[str]) -> str:
    return " ".join(f'<span class="key" style="--c:{_colour(v)}">{_e(v)}</span>' for v in vendors)


def _colour(vendor: str) -> str:
    return COLOURS.get(vendor, COLOURS["generic"])


def _epoch(value: dt.datetime) -> float:
    return value.timestamp()


def _duration(a: dt.datetime, b: dt.datetime) -> str:
    seconds = int((b - a).total_seconds())
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h {m:02d}m" if h else f"{m}m {s:02d}s"


def _bucket_words(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}s" if n > 1 else unit
    return f"{seconds} seconds" if seconds > 1 else "second"
