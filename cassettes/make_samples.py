"""Regenerate the sample cassettes from the built-in vendor sandbox, through the real proxy.

    .venv/bin/python cassettes/make_samples.py

Each sample is recorded exactly as a user would record one (mitmdump with the tillroll
addon in front of the sandbox) and redacted with the published sample key in
``cassettes/sample.key``. That key protects nothing but sandbox data; it is committed so
that replay in CI can match pseudonymised fields. Never use it for real traffic.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tillroll.demo.run import run_demo  # noqa: E402

SAMPLES = {
    # name: the sandbox clock's start (it decides the SpotOn windows and records served)
    "pos-day": dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.timezone.utc),
}


def main() -> None:
    for name, start in SAMPLES.items():
        result = run_demo(HERE / name, key_file=HERE / "sample.key", start=start)
        print(f"{name}: {result.summary.exchanges} exchanges, {result.summary.size_bytes} bytes, "
              f"{len(result.hidden_failures)} failure(s) hidden in 200s")


if __name__ == "__main__":
    main()
