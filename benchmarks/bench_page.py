"""Benchmark: `tillroll html` over a large cassette (issue 32's targets).

Run::

    .venv/bin/python benchmarks/bench_page.py [--n 1000000] [--base 100000] [--work DIR] [--json out.json]

The cassette is built as bench_analysis.py builds its own (a synthetic base block of the
four vendors through ``CassetteWriter``, then day-shifted copies written by the store's
Parquet writer), cached in ``--work``. Measured, each once per run (a figure is one run; the
page is deterministic for one cassette):

- **written in**: the wall time of ``tillroll html CASSETTE -o FILE`` as a user runs it (a
  new process: start-up, DuckDB over the views, the checks, rendering, gzip), target ≤ 15 s;
- **file size**, target ≤ 10 MB;
- **first paint** of the at-a-glance section in headless Chromium (Debian's, through
  Playwright, as the browser tests): ``first-contentful-paint`` from the Performance API of
  a fresh page opened from ``file://``, median of 3, target ≤ 1 s;
- how many exchanges the page carries in full and how many it left out, findings, and the
  peak RSS of the writing process.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analysis import build_base, replicate  # noqa: E402  (the same cassettes, built the same way)

FLAGS = ["--disable-background-networking", "--disable-component-update", "--no-sandbox", "--disable-gpu",
         "--no-first-run"]


def ensure(work: Path, n: int, base: int) -> Path:
    base_dir = work / f"base-{base}"
    if not base_dir.exists():
        print(f"building the base cassette ({base:,} exchanges) ...", flush=True)
        build_base(base_dir, base, seed=7)
    big = work / f"page-{n}"
    if not big.exists():
        print(f"replicating it to {n:,} exchanges ...", flush=True)
        replicate(base_dir, big, n // base)
    return big


def write_page(cassette: Path, out: Path) -> dict:
    tillroll = Path(sys.executable).with_name("tillroll")
    t0 = time.perf_counter()
    proc = subprocess.run([str(tillroll), "html", str(cassette), "-o", str(out)], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(proc.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"seconds": round(seconds, 2), "bytes": out.stat().st_size, "said": proc.stderr.strip(),
            "peak_rss_bytes": peak}


def first_paint(page: Path, runs: int = 3) -> list[float]:
    from playwright.sync_api import sync_playwright

    paints = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
        for _ in range(runs):
            tab = browser.new_page()
            tab.goto(page.as_uri(), wait_until="load")
            tab.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
            paints.append(tab.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime") / 1000)
            tab.close()
        browser.close()
    return paints


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--base", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/tillroll-bench-page"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    cassette = ensure(args.work, args.n, args.base)
    out = args.work / f"page-{args.n}.html"
    written = write_page(cassette, out)
    paints = first_paint(out)
    result = {"n": args.n, **written, "first_paint_s": [round(p, 3) for p in paints],
              "first_paint_median_s": round(statistics.median(paints), 3)}
    print(json.dumps(result, indent=2))
    print(f"written in {written['seconds']} s (target 15), {written['bytes'] / 1e6:.1f} MB (target 10), "
          f"first paint {result['first_paint_median_s']} s (target 1)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
