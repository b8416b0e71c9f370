"""Benchmark: capturing one big answer full of personal data (the sweep's worst case).

Run::

    .venv/bin/python benchmarks/bench_big_answer.py [--customers 500,2000,6000] [--leaked-every 10]

One GET whose JSON answer lists N customers, each with a name, an email and a phone
(three values redacted each, all distinct) and a note; with ``--leaked-every K`` every
K-th customer's name also stands in a free-text ``label`` no rule covers, so the sweep
must remove it there. ``capture_keyed`` of that exchange, in this process, wall time (best
of 3). A list export of a loyalty program's members is such an answer: every value
redacted is then searched for in the texts of the exchange (the sweep).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time

from tillroll.capture import Redactor, RawExchange, RawRequest, RawResponse
from tillroll.capture.match_doc import capture_keyed


def answer(n: int, leaked_every: int) -> bytes:
    return json.dumps({"customers": [
        {"id": i, "customer": {"name": f"Person{i} Roe", "email": f"p{i}@example.com", "phone": f"+1 555 {i:07d}"},
         "note": "member since 2019, prefers email", "label": f"Person{i} Roe" if leaked_every and i % leaked_every == 0
         else "regular"} for i in range(n)]}).encode()


def best_ms(raw: RawExchange, redactor: Redactor) -> tuple[float, int]:
    best, swept = float("inf"), 0
    for _ in range(3):
        t0 = time.perf_counter()
        ex = capture_keyed(raw, redactor)
        best = min(best, time.perf_counter() - t0)
        swept = sum(1 for _, rule in ex.redactions if rule == "sweep")
    return best * 1000, swept


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", default="500,2000,6000")
    ap.add_argument("--leaked-every", type=int, default=10, help="also a run where every K-th name leaks (0: none)")
    args = ap.parse_args()
    redactor = Redactor(b"k" * 32)
    print("| customers | answer KB | leaked names | capture ms | swept texts |\n| ---: | ---: | ---: | ---: | ---: |")
    for n in (int(x) for x in args.customers.split(",")):
        for leaked in sorted({0, args.leaked_every}):
            body = answer(n, leaked)
            raw = RawExchange(RawRequest("GET", "https", "api.example.com", 443, "/v1/customers",
                                         headers=[("Accept", "application/json")]),
                              dt.datetime(2026, 12, 8, tzinfo=dt.timezone.utc),
                              RawResponse(200, "OK", headers=[("Content-Type", "application/json")], body=body))
            ms, swept = best_ms(raw, redactor)
            print(f"| {n:,} | {len(body) // 1024:,} | {n // leaked if leaked else 0:,} | {ms:,.1f} | {swept} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
