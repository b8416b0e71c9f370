"""The inferred JSON schema per operation, and drift between two cassettes."""

import json

from click.testing import CliRunner

from tillroll.analysis import schema
from tillroll.analysis.views import connect
from tests.replay.cassettes import write_cassette
from tests.samples import exchange
from tillroll.cli import main


def cassette(path, bodies):
    return write_cassette(path, [exchange("GET", "api.example.com", "/v1/balance",
                                          response=json.dumps(b).encode()) for b in bodies])


def test_fields_get_their_types_and_presence_ratio(tmp_path):
    c = cassette(tmp_path / "c", [{"points": 1, "tier": "gold"}, {"points": 2, "tier": None}, {"points": 3}])
    rows = {r["path"]: r for r in schema.infer(connect([c])).to_pylist() if r["side"] == "response"}
    assert (rows["$.points"]["types"], rows["$.points"]["ratio"]) == ("number", 1.0)
    assert (rows["$.tier"]["types"], rows["$.tier"]["present"], rows["$.tier"]["bodies"]) == ("null|string", 2, 3)


def test_diff_schema_names_added_removed_retyped_and_optional_fields(tmp_path):
    old = cassette(tmp_path / "old", [{"points": 1, "tier": "gold", "card": "x"}] * 4)
    new = cassette(tmp_path / "new", [{"points": "1", "card": "x", "expires": None}] * 3
                   + [{"points": "2", "expires": None}])
    result = CliRunner().invoke(main, ["diff-schema", str(old), str(new), "--format", "json", "--fail-on-drift"])
    assert result.exit_code == 1
    changes = {(c["path"], c["change"]) for c in json.loads(result.output)}
    assert changes == {("$.points", "type changed"), ("$.tier", "removed"), ("$.expires", "added"),
                       ("$.card", "presence changed")}
    same = CliRunner().invoke(main, ["diff-schema", str(old), str(old), "--fail-on-drift"])
    assert same.exit_code == 0 and "no schema drift" in same.output
