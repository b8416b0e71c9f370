"""Self-contained HTML documents: the shell and the pieces every tillroll page is made of.

A document is one file: its style and script inline, data (when any) in an inert block,
and a Content-Security-Policy that forbids every request, so it opens from ``file://``
offline and nothing it shows leaves it. Tables are real ``<table>``s with header cells, so
the figures read without JavaScript. Used by ``tillroll html`` (the analysis) and
``tillroll verify --html`` (the drift report); pure: text in, text out.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any, Callable, Iterable

HERE = Path(__file__).resolve().parent


def escape(text: Any) -> str:
    return html.escape(str(text), quote=True)


def document(title: str, body: str, *, nav: Iterable[tuple[str, str]] = (), script: str = "", data: str = "",
             css: str = "") -> str:
    """The whole file: *body* (HTML) under *title*, *nav* links ``(anchor, label)``, an inline
    *script*, *data* for the inert ``#tillroll-data`` block, and *css* after the base style."""
    links = " ".join(f'<a href="#{escape(anchor)}">{escape(label)}</a>' for anchor, label in nav)
    return (HERE / "shell.html").read_text().format(
        title=escape(title), nav=links, css=(HERE / "base.css").read_text() + css, body=body, data=data,
        script=script)


def write(path: Path, text: str) -> None:
    """Write a document to *path* so that *path* is either the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def utc(value: dt.datetime | None) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def table(name: str, columns: list[str], rows: Iterable[dict], *, headers: dict[str, str] | None = None,
          caption: str = "", row_attrs: Callable[[dict], str] | None = None, css: str = "sortable") -> str:
    """A ``<table id=NAME>`` of *rows* (dicts) in *columns*; numbers right-aligned with
    thousands separators and their value in ``data-v`` (for sorting), times in UTC."""
    rows = list(rows)
    headers = headers or {}
    numeric = {c for c in columns if rows and isinstance(rows[0].get(c), (int, float))
               and not isinstance(rows[0].get(c), bool)}
    head = "".join(f'<th scope="col" data-col="{c}"{" class=num" if c in numeric else ""}>'
                   f"{escape(headers.get(c, c))}</th>" for c in columns)
    body = "".join(f"<tr{row_attrs(row) if row_attrs else ''}>" + "".join(cell(row.get(c), c) for c in columns)
                   + "</tr>" for row in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table id="{name}" class="{css}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def cell(value: Any, column: str = "") -> str:
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, (int, float)):
        text = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
        css = ' class="num warn"' if column in ("hidden_in_2xx", "drifted") and value else ' class="num"'
        return f'<td{css} data-v="{value}">{text}</td>'
    if isinstance(value, dt.datetime):
        return f'<td data-v="{value.timestamp()}">{escape(utc(value))}</td>'
    if value is None:
        return '<td class="none">-</td>'
    css = f' class="sev-{escape(value)}"' if column == "severity" else ""
    return f"<td{css}>{escape(value)}</td>"
