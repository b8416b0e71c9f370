"""The committed sample cassettes stay readable, redacted and made with the sample key."""

from pathlib import Path

import pytest

from tillroll.keys import key_id
from tillroll.sandbox import credentials as creds
from tillroll.store import open_cassette

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
SAMPLES = sorted(p for p in CASSETTES.iterdir() if (p / "tillroll.json").exists())


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
