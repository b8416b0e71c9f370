"""Benchmark: what a response's Content-Encoding costs an import and a replay.

Run::

    .venv/bin/python benchmarks/bench_codings.py [--entries 2000] [--kb 20] [--codings br,gzip,identity]

A HAR keeps bodies decoded (Chrome and Firefox write ``content.text`` as the page read it)
while the headers still say ``Content-Encoding: br``; tillroll's raw exchange holds a
body as it went over the wire, so the import encodes it again before the capture decodes
it, and replay encodes a recorded body as recorded the first time it serves it. Both use
``tillroll.capture.content.encode_content``. Measured:

1. **Import**: a HAR of ``--entries`` entries (``tillroll.demo.synthetic`` exchanges, each
   response body replaced by a JSON list of ``--kb`` KB, its headers given
   ``Content-Encoding: CODING``), imported as a user does (``tillroll import HAR
   --cassette DIR --key-file K --workers 1``, a subprocess); entries/s = entries / wall
   time. Each coding twice: with the response's ``bodySize`` the size it had on the wire
   (as Chrome writes it; here the body's length encoded) and with ``-1`` (unknown, as some
   exporters write it). The HARs are written once into ``--work``.
2. **A first serve**: ``replay.responses.answer`` of one such body with that coding (the
   answer's encoding is its cost), µs a call, best of 5 loops of 20.

Prints a table; ``--json`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tillroll.capture.content import encode_content
from tillroll.demo.synthetic import generate
from tillroll.interop.har import decoded_bodies, entry_from_exchange
from tillroll.replay.responses import answer

TILLROLL = Path(sys.executable).with_name("tillroll")


def body_of(kb: int, seed: int) -> bytes:
    """JSON of about *kb* KB, varied enough that it does not compress to nothing."""
    items, size, i = [], 0, seed
    while size < kb * 1024:
        item = {"id": i, "name": f"item {i * 7919 % 10007}", "price": round(i * 1.37 % 97, 2),
                "sku": f"{i * 2654435761 % 4294967296:08x}", "tags": ["a", "b"][: i % 3]}
        items.append(item)
        size += len(json.dumps(item)) + 2
        i += 1
    return json.dumps(items).encode()


def write_har(path: Path, entries: int, kb: int, coding: str, wire_size_known: bool) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"log": {"version": "1.2", "creator": {"name": "bench_codings", "version": "1"}, "entries": [\n')
        for i, ex in enumerate(generate(entries, seed=7)):
            ex.response_body_text, ex.response_body_bytes = body_of(kb, i).decode(), None
            ex.response_content_encoding = None if coding == "identity" else coding
            ex.response_headers = [(k, v) for k, v in ex.response_headers or () if k.lower() != "content-length"]
            if coding != "identity":
                ex.response_headers.append(("Content-Encoding", coding))
            rq, rs = decoded_bodies(ex)
            entry = entry_from_exchange(ex, request_body=rq, response_body=rs)
            entry["response"]["bodySize"] = len(encode_content(rs, ex.response_content_encoding)) \
                if wire_size_known else -1
            f.write((",\n" if i else "") + json.dumps(entry))
        f.write("\n]}}\n")


def import_rate(har: Path, work: Path, entries: int) -> float:
    key = work / "key"
    if not key.exists():
        key.write_text("0123456789abcdef" * 4)
    cassette = work / f"cassette-{har.stem}"
    subprocess.run(["rm", "-rf", str(cassette)], check=True)
    t0 = time.perf_counter()
    subprocess.run([str(TILLROLL), "import", str(har), "--cassette", str(cassette), "--key-file", str(key),
                    "--workers", "1"], check=True, capture_output=True)
    elapsed = time.perf_counter() - t0
    subprocess.run(["rm", "-rf", str(cassette)], check=True)
    return entries / elapsed


def serve_us(kb: int, coding: str) -> float:
    body = body_of(kb, 1)
    encoding = None if coding == "identity" else coding
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(20):
            answer("id", 200, "OK", [("Content-Type", "application/json")], body, len(body), False, encoding,
                   None, None, None)
        best = min(best, (time.perf_counter() - t0) / 20)
    return best * 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=2000)
    ap.add_argument("--kb", type=int, default=20, help="response body size (KB)")
    ap.add_argument("--codings", default="br,gzip,identity")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "tillroll-bench-codings")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    print("| coding | import entries/s, bodySize known | bodySize -1 | first serve µs |\n| --- | ---: | ---: | ---: |")
    for coding in args.codings.split(","):
        rates = []
        for known in (True, False):
            har = args.work / f"codings-{coding}-{args.entries}-{args.kb}kb-{'sized' if known else 'unsized'}.har"
            if not har.exists():
                write_har(har, args.entries, args.kb, coding, known)
            rates.append(import_rate(har, args.work, args.entries))
        serve = serve_us(args.kb, coding)
        rows.append({"coding": coding, "import_per_s_sized": rates[0], "import_per_s_unsized": rates[1],
                     "serve_us": serve})
        print(f"| {coding} | {rates[0]:,.0f} | {rates[1]:,.0f} | {serve:,.1f} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"entries": args.entries, "kb": args.kb, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
