"""Record a POS day through the real proxy, replay it: the POS sees the same day again."""

import datetime as dt
import json
import urllib.request

from tillroll.replay.app import make_app
from tillroll.replay.server import ReplayServer, open_replayer
from tillroll.demo.run import run_demo
from tillroll.demo.pos_day import Client, run_pos_day
from tillroll.store import open_cassette

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)


class Tape(Client):
    """The POS client, keeping every response it got."""

    def request(self, *args, **kwargs):
        status, body = super().request(*args, **kwargs)
        self.tape.append((status, body))
        return status, body


class Clock:
    def __init__(self):
        self.t = START

    def now(self):
        return self.t

    def advance(self, seconds):
        self.t += dt.timedelta(seconds=seconds)


def play(base_url: str):
    client = Tape(base_url)
    client.tape = []
    clock = Clock()
    run_pos_day(client, advance_clock=clock.advance, now=clock.now)
    return client.calls, client.tape


def test_a_recorded_pos_day_replays_identically_in_order_across_the_four_vendors(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("replay-test-key-0123456789abcdef")
    result = run_demo(tmp_path / "c", key_file=key_file, start=START)
    recorded = open_cassette(tmp_path / "c").exchanges()
    assert {ex.vendor for ex in recorded} == {"spot", "spoton", "xgl", "spoonity"}
    assert {ex.params_encoding for ex in recorded} >= {"Parameters", "Params", "Body"}
    # lookups by a value that only their response shows to be PII: recorded as a pseudonym,
    # sent again in clear by the POS
    taught = [ex for ex in recorded if ("request.body", "sweep") in ex.redactions]
    assert {ex.operation for ex in taught} >= {"identifyCustomers", "FindCustomer"}
    assert all("1111111111" not in ex.match_key and "801-555-0134" not in ex.match_key for ex in taught)

    opened = open_replayer(tmp_path / "c", key_file=key_file)
    assert opened.warnings == []
    with ReplayServer(make_app(opened.replayer)) as server:
        calls, tape = play(server.base_url)
        urllib.request.urlopen(urllib.request.Request(server.base_url + "/__tillroll/reset", method="POST"),
                               timeout=10).read()
        again_calls, again_tape = play(server.base_url)

    assert len(calls) == result.calls == len(recorded)
    for (method, path, status), (_, body), ex in zip(calls, tape, recorded):
        assert (method, path.split("?")[0], status) == (ex.method, ex.path, ex.status)
        expected = json.loads(ex.response_body_text) if ex.response_body_text else None
        assert body == expected, f"{ex.vendor} {ex.operation}"
    assert (again_calls, again_tape) == (calls, tape)  # deterministic after a reset
    assert not [e for e in opened.replayer.journal_entries() if not e["matched"]]
    assert opened.replayer.unused() == []


def test_without_the_redaction_key_pii_is_left_out_with_a_warning_and_the_day_still_replays(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("replay-test-key-0123456789abcdef")
    run_demo(tmp_path / "c", key_file=key_file, start=START)
    other = tmp_path / "other-key"
    other.write_text("not-the-recording-key-0123456789")
    opened = open_replayer(tmp_path / "c", key_file=other)
    assert len(opened.warnings) == 1 and "PII fields are left out of matching" in opened.warnings[0]
    with ReplayServer(make_app(opened.replayer)) as server:
        calls, _ = play(server.base_url)
    assert [s for _, _, s in calls if s == 599] == []
