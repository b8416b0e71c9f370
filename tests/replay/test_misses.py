"""Unmatched requests in words: what a failing test prints (pure)."""

from tillroll.replay.misses import MAX_REQUESTS, explain_misses


def miss(request="POST /order (order.process)", kind="miss", **extra):
    return {"request": request, "kind": kind, "count": 1, "recorded": 0, "problem": None, "nearest": [], **extra}


def test_a_miss_names_its_nearest_recording_the_failed_matchers_and_each_field():
    nearest = [{"exchange_id": "e1", "request": "POST /order (order.process)", "failed_matchers": ["params", "query"],
                "diff": [{"field": "params.receipt_number", "request": "R-NEVER", "recorded": "R-2001"},
                         {"field": "params.note", "request": "two words", "recorded": None},
                         {"field": "params.items", "request": [{"sku": "X" * 100}], "recorded": []}]}]
    text = "\n".join(explain_misses([miss(nearest=nearest, count=3)]))
    assert "  POST /order (order.process)  (3 times)" in text
    assert "nearest: POST /order (order.process)  [e1]  failed: params, query" in text
    assert "params.receipt_number: R-NEVER vs R-2001" in text
    assert 'params.note: "two words" vs (absent)' in text  # one line, and absent is not the string "None"
    [items] = [line for line in text.splitlines() if "params.items" in line]
    assert items.endswith("… vs []") and len(items) < 100  # a long value is cut short


def test_an_exhausted_an_undecodable_and_a_lonely_request_each_say_why():
    text = "\n".join(explain_misses([
        miss(kind="exhausted", recorded=2),
        miss(kind="undecodable", problem="the request body does not decode as its Content-Encoding header says"),
        miss(request="GET /v1/new")]))
    assert "all 2 recording(s) of this request were already served" in text
    assert "cannot be replayed: the request body does not decode" in text
    assert "GET /v1/new\n    no recording to compare it with" in text


def test_many_distinct_misses_are_counted_not_all_explained():
    lines = explain_misses([miss(request=f"GET /v{i}") for i in range(MAX_REQUESTS + 5)])
    assert lines[-1] == "  … and 5 more distinct request(s)"
    assert sum(line.startswith("  GET /v") for line in lines) == MAX_REQUESTS
