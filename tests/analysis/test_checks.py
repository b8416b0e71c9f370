"""Each vendor rule fires on its planted violation and stays quiet on clean traffic."""

import re
from pathlib import Path

import pytest

from tillroll.analysis import checks
from tillroll.analysis.views import connect
from tests.analysis.scripted import write_day

ROOT = Path(__file__).resolve().parents[2]

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


def test_the_scripted_day_plants_rules_that_exist():
    assert set(PLANTED.values()) <= {c.rule for c in checks.load()}


@pytest.mark.parametrize("violation", sorted(PLANTED))
def test_a_planted_violation_is_found_and_named(tmp_path, violation):
    findings = checks.run(connect([write_day(tmp_path / "c", {violation})]))
    assert [f.rule for f in findings] == [PLANTED[violation]]
    [finding] = findings
    assert finding.exchange_id and finding.doc and finding.detail


def test_every_check_declares_its_rule_doc_and_severity():
    for path in sorted(checks.CHECKS.glob("*.sql")):
        head = [line for line in path.read_text().splitlines()[:6] if line.startswith("-- ")]
        keys = [line[3:].split(":", 1)[0] for line in head]
        assert {"rule", "doc", "severity"} <= set(keys), path.name
    assert {c.severity for c in checks.load()} <= set(checks.SEVERITIES)


def test_every_check_has_a_test_that_plants_its_violation():
    """Each vendor's checks are tested in tests/analysis/checks/test_<vendor>.py (or above)."""
    here = Path(__file__).parent
    tested = here.joinpath("test_checks.py").read_text() + "".join(
        p.read_text() for p in (here / "checks").glob("test_*.py"))
    assert [c.rule for c in checks.load() if f'"{c.rule}"' not in tested] == []


def test_rules_md_lists_every_check_and_names_only_checks_that_exist():
    text = (ROOT / "analysis" / "RULES.md").read_text()
    rules = {c.rule for c in checks.load()}
    assert [r for r in sorted(rules) if f"`{r}`" not in text] == []
    named = set(re.findall(r"`((?:spot|spoton|xgl|spoonity)-[a-z0-9-]+)`", text))
    assert sorted(named - rules) == []


def test_severity_error_keeps_only_the_hard_rules():
    hard = checks.load("error")
    assert hard and all(c.severity == "error" for c in hard)
    assert len(hard) < len(checks.load())
