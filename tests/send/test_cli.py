"""`tillroll send` and `tillroll verify` end to end: a POS day recorded through the real proxy,
sent to a real sandbox that holds credentials the cassette never saw."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.send.conftest import LATER
from tillroll.cli import main
from tillroll.sandbox import FakeClock, PlantedChange, start_sandbox
from tillroll.store import open_cassette

PLANTED = [PlantedChange("GetCustomer", "rename", "ReturnObject.FirstName", to="GivenName"),
           PlantedChange("submitOrder", "retype", "host_txn_id"),
           PlantedChange("LockerEvent", "fail", to="Locker is offline")]


def invoke(command: str, day, url: str, *extra: str):
    return CliRunner().invoke(main, [command, str(day.cassette), "--to", url, "--secrets", str(day.secrets_file),
                                     "--key-file", str(day.key_file), "--rate", "max", *extra])


def test_a_pos_day_is_sent_with_restored_credentials_and_live_sessions(pos_day, tmp_path):
    with start_sandbox(clock=FakeClock(LATER), credentials=pos_day.rotated) as url:
        result = invoke("send", pos_day, url, "--record-to", str(tmp_path / "live"), "--explain")
    assert result.exit_code == 0, result.output
    recorded = open_cassette(pos_day.cassette).exchanges()
    live = open_cassette(tmp_path / "live").exchanges()
    assert [(ex.vendor, ex.operation) for ex in live] == [(ex.vendor, ex.operation) for ex in recorded]
    differs = [(rec.seq, rec.operation, rec.outcome, ex.outcome) for rec, ex in zip(recorded, live)
               if (rec.status, rec.outcome) != (ex.status, ex.outcome)]
    # The one difference: the recording's POS idled 21 minutes and its session expired; live, it did not.
    assert differs == [(11, "GetInvoices", "error", "ok")]
    spot = [ex for ex in live if ex.vendor == "spot" and ex.operation not in ("GetToken", "GetStoreList")]
    assert spot and all(ex.outcome == "ok" for ex in spot)  # the sandbox refuses a stale or unknown session
    # what came back was recorded through the capture pipeline with the cassette's key: the
    # same customer is the same pseudonym, and the live session is a pseudonym too
    assert live[2].response_body_text.count("tillroll:firstname:") == 1
    assert json.loads(live[2].response_body_text)["ReturnObject"]["FirstName"] == \
        json.loads(recorded[2].response_body_text)["ReturnObject"]["FirstName"]
    assert json.loads(live[1].request_body_text)["SessionID"].startswith("tillroll:sessionid:")
    assert "#1 spot Login answers ReturnObject.SessionID" in result.stderr
    assert "#24 spoonity order.process answers reference_number" in result.stderr
    assert "securityid: by name" in result.stderr and "spot_user: by digest" in result.stderr
    assert "spoonity order.void" in result.stderr and "failed×1 ok×1" in result.stderr
    # the answers are a cassette like any other
    query = CliRunner().invoke(main, ["query", "SELECT count(*) AS n FROM exchanges WHERE outcome = 'ok'",
                                      str(tmp_path / "live"), "--format", "csv"])
    assert query.exit_code == 0 and query.stdout.split() == ["n", str(sum(ex.outcome == "ok" for ex in live))]


def test_values_handed_out_in_clear_are_carried_from_the_live_answers(pos_day, tmp_path):
    """Another seed: other Spoonity reference numbers and SpotOn ids than recorded. The voids
    and the paid-in/out lookup name the live ones, so they are answered as recorded."""
    with start_sandbox(clock=FakeClock(LATER), credentials=pos_day.rotated, seed=7) as url:
        result = invoke("send", pos_day, url, "--record-to", str(tmp_path / "live"))
    assert result.exit_code == 0, result.output
    live = {ex.seq: ex for ex in open_cassette(tmp_path / "live").exchanges()}
    recorded = {ex.seq: ex for ex in open_cassette(pos_day.cassette).exchanges()}
    voids = [seq for seq, ex in recorded.items() if ex.operation == "order.void"]
    assert [live[s].outcome for s in voids] == [recorded[s].outcome for s in voids] == ["failed", "ok"]
    assert json.loads(live[voids[1]].request_body_text)["receipt"] != json.loads(
        recorded[voids[1]].request_body_text)["receipt"]  # a live reference number, not the recorded one
    get = next(s for s, ex in recorded.items() if ex.operation == "paid-in-outs.get")
    assert live[get].status == 200 and live[get].path != recorded[get].path


def test_verify_against_the_same_sandbox_finds_no_drift(pos_day):
    with start_sandbox(clock=FakeClock(LATER), credentials=pos_day.rotated) as url:
        result = invoke("verify", pos_day, url)
    assert result.exit_code == 0, result.output
    assert "35 answer(s) compared, 0 drifted" in result.stdout
    # noise is listed, for the user to confirm
    assert "spot GetInvoices (status): varies between the recorded answers of identical requests" in result.stdout
    assert "ReturnObject.CustomerSince: a date/time" in result.stdout


def test_verify_names_each_planted_change_and_nothing_else(pos_day, tmp_path):
    runs = {}
    for fmt in ("text", "json"):  # a fresh sandbox each: a POS day changes the state it runs against
        with start_sandbox(clock=FakeClock(LATER), credentials=pos_day.rotated, changes=PLANTED) as url:
            runs[fmt] = invoke("verify", pos_day, url, "--format", fmt, "--html", str(tmp_path / f"{fmt}.html"))
    text, as_json = runs["text"], runs["json"]
    assert text.exit_code == 1 and as_json.exit_code == 1
    drift = text.stdout.split("noise, left out")[0].splitlines()
    assert drift == ["verify: 35 answer(s) compared, 3 drifted in 3 operation(s)",
                     "spot GetCustomer: 1 of 1 answer(s) drifted",
                     "  ReturnObject.FirstName  renamed to GivenName",
                     "spot LockerEvent: 1 of 1 answer(s) drifted",
                     "  (outcome)  ok → failed: Locker is offline",
                     "xgl submitOrder: 1 of 1 answer(s) drifted",
                     "  host_txn_id  type changed: string → number"]
    report = json.loads(as_json.stdout)
    assert report["drifted"] == 3
    assert {(d["operation"], c["field"], c["change"]) for d in report["drift"] for c in d["changes"]} == {
        ("GetCustomer", "ReturnObject.FirstName", "renamed"), ("LockerEvent", "(outcome)", "outcome"),
        ("submitOrder", "host_txn_id", "type changed")}
    page = (tmp_path / "text.html").read_text(encoding="utf-8")  # the same report, as a page for CI
    assert "⚠ 3 of 35 answer(s) drifted in 3 operation(s)" in page
    for operation, field in (("GetCustomer", "ReturnObject.FirstName"), ("LockerEvent", "(outcome)"),
                             ("submitOrder", "host_txn_id")):
        assert f"{operation}: 1 of 1 answer(s) drifted" in page and f"<td>{field}</td>" in page
    assert "default-src 'none'" in page and "<script src" not in page
    assert not [v for v in pos_day.rotated.values() if v in page]  # the secrets given to verify stay out


def test_dry_run_explains_and_sends_nothing(pos_day):
    result = invoke("send", pos_day, "http://127.0.0.1:9", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "6 binding(s) found" in result.stderr and "35 request(s) checked, none sent" in result.stderr


def test_concurrent_requests_still_wait_for_the_answers_they_need(pos_day, tmp_path):
    with start_sandbox(clock=FakeClock(LATER), credentials=pos_day.rotated) as url:
        result = invoke("send", pos_day, url, "--concurrency", "8", "--record-to", str(tmp_path / "live"))
    assert result.exit_code == 0, result.output
    live = open_cassette(tmp_path / "live").exchanges()
    assert len(live) == 35
    after_login = [ex for ex in live if ex.vendor == "spot" and ex.operation not in ("GetToken", "GetStoreList")]
    assert {ex.outcome for ex in after_login} == {"ok"}  # each carried the live session, issued before it left
