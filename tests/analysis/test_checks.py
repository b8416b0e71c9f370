"""Each vendor rule fires on its planted violation and stays quiet on clean traffic."""

import pytest

from tillroll.analysis import checks
from tillroll.analysis.views import connect
from tests.analysis.scripted import write_day

PLANTED = {
    "long-window": "spoton-window-longer-than-7-days",
    "recent-end": "spoton-window-end-less-than-5-minutes-ago",
    "start-after-end": "spoton-window-start-not-before-end",
    "securityid": "spot-securityid-outside-gettoken",
    "legacy-body": "spot-deprecated-body-or-xml",
    "expired-session": "spot-session-used-after-expiry",
    "void-order": "spoonity-void-not-most-recent",
    "duplicate-receipt": "spoonity-receipt-processed-twice",
    "xgl-void": "xgl-void-without-submit",
}


def test_clean_traffic_breaks_no_rule(clean_day):
    assert checks.run(connect([clean_day])) == []


def test_every_rule_has_a_planted_violation():
    assert sorted(PLANTED.values()) == sorted(c.rule for c in checks.load())


@pytest.mark.parametrize("violation", sorted(PLANTED))
def test_a_planted_violation_is_found_and_named(tmp_path, violation):
    findings = checks.run(connect([write_day(tmp_path / "c", {violation})]))
    assert [f.rule for f in findings] == [PLANTED[violation]]
    [finding] = findings
    assert finding.exchange_id and finding.doc and finding.detail
