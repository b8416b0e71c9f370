"""Keep fuzzing past a finding (``make fuzz FUZZ_KEEP_GOING=1``).

By default a fuzz target behaves as libFuzzer expects: the first exception is a crash,
libFuzzer writes ``crash-<sha1>`` and stops. With the environment variable
``FUZZ_KEEP_GOING`` set to a directory, :func:`keep_going` catches the exception instead,
files the input under a signature (exception type, the line that raised it, and the
exception's own ``signature`` attribute when it has one), and lets the run go on: a
finding that is hit again and again then does not hide the next one. The first
``SAMPLES`` inputs of each signature are kept (``<signature>-<sha1>`` with a ``.txt``
traceback beside it); ``counts.txt`` holds the number of hits per signature.
"""

from __future__ import annotations

import collections
import hashlib
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Callable

SAMPLES = 5


def run(test: Callable[[bytes], None], describe: Callable[[bytes], str] | None = None) -> None:
    """A target's entry point: ``--describe FILE`` prints what *describe* makes of an input
    (when the target has one); otherwise libFuzzer runs *test*, through :func:`keep_going`."""
    import atheris  # only when fuzzing: this module is also imported by what reads findings

    if describe is not None and len(sys.argv) == 3 and sys.argv[1] == "--describe":
        with open(sys.argv[2], "rb") as f:
            print(describe(f.read()))
        return
    atheris.Setup(sys.argv, keep_going(test))
    atheris.Fuzz()


def keep_going(test: Callable[[bytes], None]) -> Callable[[bytes], None]:
    out = os.environ.get("FUZZ_KEEP_GOING")
    if not out:
        return test
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    counts: collections.Counter[str] = collections.Counter()

    def wrapped(data: bytes) -> None:
        try:
            test(data)
        except Exception as exc:  # KeyboardInterrupt and SystemExit still stop the run
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            signature = f"{type(exc).__name__}-{Path(frame.filename).stem}-{frame.lineno}"
            if getattr(exc, "signature", None):
                signature += f"-{exc.signature}"
            signature = re.sub(r"[^\w.-]+", "_", signature)
            counts[signature] += 1
            if counts[signature] <= SAMPLES:
                name = folder / f"{signature}-{hashlib.sha1(data).hexdigest()}"
                name.write_bytes(data)
                Path(f"{name}.txt").write_text("".join(traceback.format_exception(exc)))
            if counts[signature] == 1:
                print(f"\nFINDING {signature} (kept in {folder}; going on)", file=sys.stderr)
            (folder / "counts.txt").write_text("".join(f"{n}\t{s}\n" for s, n in counts.most_common()))

    return wrapped
