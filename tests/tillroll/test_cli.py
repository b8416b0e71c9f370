"""The command line: every command documented, clear errors, real cassettes."""

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.factories import full_exchange
from tillroll.cli import main
from tillroll.store import CassetteWriter


def all_commands():
    ctx = click.Context(main)
    return [(name, main.get_command(ctx, name)) for name in main.list_commands(ctx)]


def test_the_core_commands_are_registered():
    names = [name for name, _ in all_commands()]
    assert {"info", "compact", "schema", "demo"} <= set(names)


@pytest.mark.parametrize("name,command", all_commands())
def test_every_command_has_help_with_an_example(name, command):
    result = CliRunner().invoke(main, [name, "-h"])
    assert result.exit_code == 0, result.output
    assert command.help and "Example:" in command.help
    assert f"tillroll {name}" in result.output


def test_version_and_short_help():
    runner = CliRunner()
    assert runner.invoke(main, ["--version"]).output.startswith("tillroll, version ")
    assert "Commands:" in runner.invoke(main, ["-h"]).output


def test_version_says_which_capture_path_runs():
    import os
    import subprocess
    import sys

    def version(**env):
        return subprocess.run([str(Path(sys.executable).parent / "tillroll"), "--version"], capture_output=True, text=True,
                              env={**os.environ, **env}, timeout=60).stdout
    assert "capture: pure Python (TILLROLL_NO_EXTENSIONS is set)" in version(TILLROLL_NO_EXTENSIONS="1")
    assert "capture: " in version()


def test_info_describes_a_cassette(tmp_path):
    with CassetteWriter(tmp_path / "c") as w:
        for i in range(7):
            w.append(full_exchange(i))
    result = CliRunner().invoke(main, ["info", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "exchanges   7" in result.output
    assert "spot GetCustomer" in result.output
    data = json.loads(CliRunner().invoke(main, ["info", str(tmp_path / "c"), "--format", "json"]).output)
    assert data["exchanges"] == 7 and data["vendors"] == {"spot": 7} and data["outcomes"] == {"failed": 7}


def test_info_on_garbage_prints_a_note_not_a_traceback(tmp_path):
    with CassetteWriter(tmp_path / "c") as w:
        w.append(full_exchange(0))
    part = next((tmp_path / "c").glob("date=*"))
    (part / "part-bad.parquet").write_bytes(b"garbage")
    result = CliRunner().invoke(main, ["info", str(tmp_path / "c")])
    assert result.exit_code == 1  # a damaged file is news: said, set aside, and the status says so
    assert "note: quarantined" in result.output and "Traceback" not in result.output
    assert "1 file(s) of" in result.output and "moved to its quarantine/ folder" in result.output
    assert CliRunner().invoke(main, ["info", str(tmp_path / "c")]).exit_code == 0  # set aside once


def test_errors_are_one_clear_line(tmp_path):
    result = CliRunner().invoke(main, ["info", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {tmp_path / 'missing'} is not a tillroll cassette (no tillroll.json): " \
        f"nothing is there: check the path, or record one with `tillroll record {tmp_path / 'missing'}`"
    result = CliRunner().invoke(main, ["info", "--bogus"])
    assert result.exit_code == 2 and "No such option '--bogus'" in result.output


def test_compact_reports_what_it_did(tmp_path):
    for _ in range(3):
        with CassetteWriter(tmp_path / "c") as w:
            w.append(full_exchange(0))
    result = CliRunner().invoke(main, ["compact", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "3 file(s) -> 1 file(s), 3 exchanges" in result.output


def test_schema_lists_every_column():
    data = json.loads(CliRunner().invoke(main, ["schema", "--format", "json"]).output)
    names = [c["name"] for c in data["columns"]]
    assert "exchange_id" in names and "redactions" in names and data["schema_version"] >= 1


def test_demo_records_a_pos_day_through_the_proxy_and_says_what_to_try_next(tmp_path, monkeypatch):
    monkeypatch.setenv("TILLROLL_KEY", "cli-demo-test-key-0123456789")
    result = CliRunner().invoke(main, ["demo", "--cassette", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    sent = int(result.output.split(" requests sent through the proxy")[0].split()[-1])
    assert f"exchanges   {sent}" in result.output  # every request was recorded
    assert "vendors     spot 12, spoonity 11, xgl 7, spoton 5" in result.output
    assert "failures hidden inside HTTP 200 responses:" in result.output
    assert "xgl voidOrder: No submitted order" in result.output
    assert "Next, try" in result.output and "tillroll info" in result.output
    # the demo's cassette shows the POS day's own mistakes to `tillroll check`, not artefacts of
    # the sandbox clock it moves on (SpotOn windows "in the future" of the proxy's time stamps)
    checked = CliRunner().invoke(main, ["check", str(tmp_path / "d")])
    assert "spoon" in checked.output and "spoton-window-end-less-than-5-minutes-ago" not in checked.output
