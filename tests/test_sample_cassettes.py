"""The committed sample cassettes stay readable, redacted and made with the sample key."""

from pathlib import Path

import pytest

from tillroll.capture import key_id
from tillroll.sandbox import credentials as creds
from tillroll.store import open_cassette

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
# cassettes/demo is what `make demo` writes (git-ignored, redacted with the user's own key): not a sample
SAMPLES = sorted(p for p in CASSETTES.iterdir() if (p / "tillroll.json").exists() and p.name != "demo")


def test_there_are_sample_cassettes():
    assert [p.name for p in SAMPLES] == ["pos-day"]


@pytest.mark.parametrize("cassette", SAMPLES, ids=lambda p: p.name)
def test_a_sample_is_a_redacted_recording_of_all_four_vendors(cassette):
    exchanges = open_cassette(cassette, recover=False).exchanges()
    assert {e.vendor for e in exchanges} == {"spot", "spoton", "xgl", "spoonity"}
    assert {e.redaction_key_id for e in exchanges} == {key_id((CASSETTES / "sample.key").read_bytes().strip())}
    text = "\n".join(repr(e) for e in exchanges)
    for secret in (creds.SECURITY_ID, creds.PASSWORD, creds.SPOTON_API_KEY, creds.SPOONITY_API_KEY, creds.USERNAME):
        assert secret not in text


# The sample as committed before match keys learnt pseudonyms (November 2026): recorded
# without the customer lookups, its keys made the old way. It must keep replaying.
NOVEMBER_SAMPLE = Path(__file__).parent / "fixtures" / "cassettes" / "pos-day-2026-11"


@pytest.mark.parametrize("cassette, lookups, calls", [(CASSETTES / "pos-day", True, 35), (NOVEMBER_SAMPLE, False, 25)],
                         ids=["pos-day", "pos-day-2026-11"])
def test_the_sample_pos_day_replays_with_the_sample_key(tmp_path, cassette, lookups, calls):
    """What a user tries first: `tillroll replay cassettes/pos-day --key-file cassettes/sample.key`."""
    import importlib.util
    import shutil

    from tillroll.replay.app import make_app
    from tillroll.replay.server import ReplayServer, open_replayer
    from tests.replay.test_record_then_replay import Clock, Tape
    from tillroll.demo.pos_day import run_pos_day

    spec = importlib.util.spec_from_file_location("make_samples", CASSETTES / "make_samples.py")
    make_samples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_samples)
    shutil.copytree(cassette, tmp_path / "pos-day")
    opened = open_replayer(tmp_path / "pos-day", key_file=CASSETTES / "sample.key")
    assert opened.warnings == []
    clock = Clock()
    clock.t = make_samples.SAMPLES["pos-day"]
    with ReplayServer(make_app(opened.replayer)) as server:
        client = Tape(server.base_url)
        client.tape = []
        made = run_pos_day(client, advance_clock=clock.advance, now=clock.now, lookups=lookups)
    assert len(made) == calls and [c for c in made if c[2] == 599] == []
    assert not [e for e in opened.replayer.journal_entries() if not e["matched"]]
    assert opened.replayer.unused() == []
