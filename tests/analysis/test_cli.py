"""The analysis commands: output formats and one clear error per bad input."""

import json

from click.testing import CliRunner

from tillroll.analysis import checks
from tillroll.cli import main
from tillroll.store import CassetteWriter


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_query_in_every_format(clean_day):
    sql = "SELECT vendor, count(*) AS n FROM exchanges GROUP BY ALL ORDER BY vendor"
    as_json = json.loads(run("query", sql, clean_day, "--format", "json").output)
    assert [r["vendor"] for r in as_json] == ["spoonity", "spot", "spoton", "xgl"]
    assert run("query", sql, clean_day, "--format", "csv").output.splitlines()[0] == "vendor,n"
    assert run("query", sql, clean_day, "--format", "markdown").output.startswith("| vendor | n |")
    assert "(4 rows)" in run("query", sql, clean_day).output


def test_bad_input_gets_one_clear_error(tmp_path, clean_day):
    result = run("query", "SELEC 1", clean_day)
    assert result.exit_code == 1 and "the query failed: Parser Error" in result.output
    result = run("query", "SELECT 1", tmp_path / "nope")
    assert result.exit_code == 1 and "is not a tillroll cassette (no tillroll.json): nothing is there" in result.output
    CassetteWriter(tmp_path / "empty").close()
    result = run("report", "usage", tmp_path / "empty")
    assert result.exit_code == 1 and "holds no exchanges yet" in result.output
    result = run("report", "nope", clean_day)
    assert result.exit_code == 2 and "the reports are: coverage, errors, gaps, latency, sessions, usage" in result.output
    assert "Traceback" not in result.output


def test_check_exits_1_on_a_broken_rule_and_names_it(clean_day, broken_day):
    assert run("check", clean_day).exit_code == 0
    result = run("check", broken_day)
    assert result.exit_code == 1
    assert "error: spoton-window-longer-than-7-days" in result.output
    every, hard = len(checks.load()), len(checks.load("error"))
    # the day's plants: 7 hard rules broken, and 3 pieces of guidance (a legacy Body, and the
    # 40-minute polling gap seen both as a gap and as a late poll)
    assert f"10 finding(s), 7 error(s) and 3 warning(s), over {every} rule(s)" in result.output
    result = run("check", broken_day, "--severity", "error")  # guidance left out: the hard rules only
    assert result.exit_code == 1 and f"7 finding(s), 7 error(s) and 0 warning(s), over {hard} rule(s)" in result.output
    assert "spot-deprecated-body-or-xml" not in result.output and "warning:" not in result.output


def test_several_cassettes_and_globs_are_one_view(clean_day, broken_day):
    both = json.loads(run("query", "SELECT count(DISTINCT exchange_id) AS n FROM exchanges", clean_day, broken_day,
                          "--format", "json").output)
    alone = json.loads(run("query", "SELECT count(*) AS n FROM exchanges", clean_day, "--format", "json").output)
    assert both[0]["n"] > alone[0]["n"]
    globbed = json.loads(run("query", "SELECT count(*) AS n FROM exchanges", f"{clean_day.parent}/*",
                             "--format", "json").output)
    assert globbed == alone


def test_the_shell_runs_statements_until_quit(clean_day):
    result = CliRunner().invoke(main, ["shell", str(clean_day)],
                                input=".tables\nSELECT count(*) AS n\nFROM spoton;\nSELEC;\n.quit\n")
    assert "spoonity" in result.output and "(1 row)" in result.output
    assert "error: Parser Error" in result.output


def test_bodies_that_are_not_json_read_as_null_not_as_an_error(clean_day):
    sql = "SELECT jget('not json', '$.a') AS a, jget('', '$.a') AS b, jget('{\"a\": 1}', '$.a') AS c"
    assert json.loads(run("query", sql, clean_day, "--format", "json").output) == [{"a": None, "b": None, "c": "1"}]
