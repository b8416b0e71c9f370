"""The capture pipeline run on its pure path, the oracle, in a process that built the compiled one.

One list of what the compiled path replaced at import (detectors, jsonish, redact, match_doc,
pipeline), and of what asks ``native.ext`` when called (the sweep's filter), for the
differential tests (tests/tillroll/capture/test_native.py) and the differential fuzz target
(fuzz/fuzz_pass.py). A new compiled binding goes here too: ``test_native`` checks that no
compiled function is left bound inside :func:`pure_path`.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from tillroll.capture import detectors, jsonish, match_doc, native, pipeline, redact


def pure_bindings() -> list[tuple[Any, str, Any]]:
    """``(owner, name, pure value)`` for every binding the compiled path replaced."""
    pure_dict, pure_list, pure_json, pure_json_text, pure_headers, pure_apply = redact.pure_walk
    return [(detectors, "maybe_secret", detectors.pure_maybe_secret),
            (redact, "maybe_secret", detectors.pure_maybe_secret),
            (jsonish, "may_overflow", jsonish.pure_may_overflow), (jsonish, "finite", jsonish.pure_finite),
            (jsonish, "nesting_marks", jsonish.pure_nesting_marks),
            (jsonish, "parse_reading", jsonish.pure_parse_reading), (jsonish, "_outline", None),
            (redact.Pass, "json", pure_json), (redact.Pass, "json_text_at", pure_json_text),
            (redact.Pass, "headers", pure_headers), (redact.Pass, "_apply", pure_apply),
            (redact.Pass, "_dict", pure_dict), (redact.Pass, "_list", pure_list),
            (match_doc, "_clean", match_doc.pure_clean), (match_doc, "_canonical", match_doc.pure_canonical),
            (match_doc, "_clean_canonical", None),  # None: match_key takes the document path
            (pipeline, "_non_ascii_fields", pipeline.pure_storable_checks[0]),
            (pipeline, "_ascii_pairs", pipeline.pure_storable_checks[1]),
            # read when called, not bound at import: the sweep's filter, match_doc's key table
            (native, "ext", None)]


@contextlib.contextmanager
def pure_path() -> Iterator[None]:
    """Every binding the compiled path replaced, pointed back at the pure functions (not thread-safe)."""
    bindings = pure_bindings()
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in bindings]
    for owner, name, value in bindings:
        setattr(owner, name, value)
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)
