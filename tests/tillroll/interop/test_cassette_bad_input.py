"""Bad cassettes and collections: each gets one clear line, nothing of the file is
imported, no tag is ever executed, and a file that yields nothing exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.canaries import token
from tillroll.store import open_cassette
from .conftest import run_import as import_files

FIXTURES = Path(__file__).parents[2] / "fixtures" / "interop"
GOOD_VCRPY = """version: 1
interactions:
- request:
    body: null
    headers: {Accept: ['*/*']}
    method: GET
    uri: http://127.0.0.1:9/v1/things
  response:
    status: {code: 200, message: OK}
    headers: {Content-Type: [application/json], Date: ['Fri, 20 Nov 2026 09:00:00 GMT']}
    body: {string: '{"ok": true}'}
"""


def run_import(key_file, cassette, *files, extra=()):
    result = import_files(key_file, cassette, *files, extra=extra)
    assert "Traceback" not in result.output
    return result


def stored(cassette):
    if not cassette.exists() or not list(cassette.glob("date=*/*.parquet")):
        return []
    assert not list(cassette.glob(".import-*")), "a staging folder was left behind"
    return open_cassette(cassette).exchanges()


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.check_call [['touch', '{marker}']]",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/name:os.system",
])
def test_a_tag_that_would_run_code_is_refused_and_never_run(key_file, tmp_path, tag):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.yaml"
    evil.write_text(GOOD_VCRPY + "- request:\n    body: " + tag.format(marker=marker) + "\n"
                    "    method: GET\n    uri: http://127.0.0.1:9/x\n"
                    "  response: {status: {code: 200, message: OK}, headers: {}, body: {string: ''}}\n")
    result = run_import(key_file, tmp_path / "c", evil)
    assert result.exit_code == 1
    assert "evil.yaml: uses the YAML tag !!python/" in result.output
    assert "which would run code when loaded: not imported" in result.output
    assert not marker.exists()
    assert stored(tmp_path / "c") == []  # the good interaction before it is not imported either


def test_a_yaml_file_that_is_no_cassette_and_other_unknown_tags(key_file, tmp_path):
    (tmp_path / "config.yaml").write_text("database:\n  host: localhost\n  port: 5432\n")
    (tmp_path / "compose.yaml").write_text("version: '3'\nservices:\n  web: {image: nginx}\n")
    (tmp_path / "ruby.yml").write_text("---\nhttp_interactions:\n- !ruby/object:Net::HTTPResponse\n  code: 200\n")
    (tmp_path / "two.yaml").write_text(GOOD_VCRPY + "---\n" + GOOD_VCRPY)
    (tmp_path / "half.yaml").write_text(GOOD_VCRPY[: len(GOOD_VCRPY) * 2 // 3])  # a half-written file
    result = run_import(key_file, tmp_path / "c", *(tmp_path / n for n in ("config.yaml", "compose.yaml", "ruby.yml",
                                                                           "two.yaml", "half.yaml")))
    assert result.exit_code == 1
    assert "config.yaml: is YAML but not a cassette" in result.output
    assert "compose.yaml: is YAML but not a cassette" in result.output  # a top-level version: is not enough
    assert "ruby.yml: uses the YAML tag !ruby/object:Net::HTTPResponse at line 3, which tillroll does not read" \
        in result.output
    assert "two.yaml: holds more than one YAML document" in result.output
    assert "half.yaml: is not valid YAML" in result.output
    assert "5 file(s) not imported" in result.output and stored(tmp_path / "c") == []


def test_a_vcrpy_cassette_of_another_version_and_broken_interactions(key_file, tmp_path):
    (tmp_path / "v9.yaml").write_text(GOOD_VCRPY.replace("version: 1", "version: 9"))
    broken = GOOD_VCRPY + ("- request: {method: GET, uri: 'http://127.0.0.1:9/none'}\n"
                           "- request: {method: GET, uri: 'ftp://127.0.0.1/x'}\n"
                           "  response: {status: {code: 200}, headers: {}, body: {string: ''}}\n"
                           "- request: {method: GET, uri: 'http://127.0.0.1:9/s'}\n"
                           "  response: {status: {code: OK}, headers: {}, body: {string: ''}}\n")
    (tmp_path / "some.yaml").write_text(broken)
    result = run_import(key_file, tmp_path / "c", tmp_path / "v9.yaml", tmp_path / "some.yaml")
    assert "v9.yaml: is a vcrpy cassette of format version '9' (tillroll reads version 1" in result.output
    assert "some.yaml: vcrpy, 1 imported, 3 skipped" in result.output
    assert "entry 1: has no response mapping" in result.output
    assert "entry 2: is not an HTTP exchange (a ftp: URI)" in result.output
    assert "entry 3: has a response status that is not a number" in result.output
    assert [ex.path for ex in stored(tmp_path / "c")] == ["/v1/things"]


def test_a_file_from_which_nothing_can_be_imported_exits_1_and_some_imported_exits_0(key_file, tmp_path):
    """Issue 20: "0 imported" is not a success."""
    nothing = tmp_path / "nothing.yaml"
    nothing.write_text("version: 1\ninteractions:\n- request: {method: GET, uri: 'http://127.0.0.1:9/a'}\n"
                       "- request: {method: GET, uri: 'http://127.0.0.1:9/b'}\n")
    result = run_import(key_file, tmp_path / "c", nothing)
    assert result.exit_code == 1
    assert "nothing.yaml: every one of its 2 entries was skipped (nothing imported from it)" in result.output
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"version": 1, "interactions": []}))
    result = run_import(key_file, tmp_path / "c", empty)
    assert result.exit_code == 1 and "empty.json: holds no exchanges (nothing imported from it)" in result.output
    har = tmp_path / "nothing.har"  # the same for the formats tillroll read before
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": [{"request": {"method": "GET"}}]}}))
    assert run_import(key_file, tmp_path / "c", har).exit_code == 1
    some = tmp_path / "some.yaml"
    some.write_text(GOOD_VCRPY + "- request: {method: GET, uri: 'http://127.0.0.1:9/b'}\n")
    result = run_import(key_file, tmp_path / "c", some)
    assert result.exit_code == 0 and "vcrpy, 1 imported, 1 skipped" in result.output


def test_postman_collections_of_another_schema_and_examples_without_a_body(key_file, tmp_path):
    v1 = tmp_path / "v1.json"
    v1.write_text(json.dumps({"id": "x", "name": "old", "order": [], "requests": [{"url": "http://a/"}]}))
    v3 = tmp_path / "v3.json"
    v3.write_text(json.dumps({"info": {"schema": "https://schema.getpostman.com/json/collection/v3.0.0/"
                                                 "collection.json"}, "item": []}))

    def example(body, code=200):
        return {"name": "e", "code": code, "status": "OK", "header": [], "body": body,
                "originalRequest": {"method": "GET", "url": "http://127.0.0.1:9/v1/x", "header": []}}
    mixed = tmp_path / "mixed.postman_collection.json"
    mixed.write_text(json.dumps({
        "info": {"schema": "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"},
        "item": [{"name": "r", "request": {"method": "GET", "url": "http://127.0.0.1:9/v1/x"},
                  "response": [example('{"a": 1}'), example(None), example(None, 204)]}]}))
    result = run_import(key_file, tmp_path / "c", v1, v3, mixed)
    assert "v1.json: is a Postman collection of schema v1 (tillroll reads v2.0 and v2.1" in result.output
    assert "v3.json: is a Postman collection of schema v3.0.0 (tillroll reads v2.0 and v2.1" in result.output
    assert "mixed.postman_collection.json: postman, 2 imported, 1 skipped" in result.output
    assert "example 'e' of 'r': has a response without a body (Postman saved none)" in result.output
    assert sorted(ex.status for ex in stored(tmp_path / "c")) == [200, 204]


def test_a_broken_environment_file_is_one_line_and_nothing_is_imported(key_file, tmp_path):
    collection = FIXTURES / "postman" / "wise-payouts.postman_collection.json"
    secret = token("ENV-")
    broken = tmp_path / "env.json"
    broken.write_text('{"values": [{"key": "token", "value": "%s"' % secret)  # cut short
    result = run_import(key_file, tmp_path / "c", collection, extra=["--environment", broken])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == \
        f"Error: {broken} is not a Postman environment (not valid JSON): nothing imported"
    assert secret not in result.output and stored(tmp_path / "c") == []
    (tmp_path / "list.json").write_text("[]")
    result = run_import(key_file, tmp_path / "c", collection, extra=["--environment", tmp_path / "list.json"])
    assert result.exit_code == 1 and "is not a Postman environment (no \"values\" list" in result.output
    result = run_import(key_file, tmp_path / "c", collection, extra=["--environment", tmp_path / "missing.json"])
    assert result.exit_code == 1 and "missing.json: cannot be read (No such file or directory)" in result.output
    # an environment given as a traffic file is named for what it is
    env = FIXTURES / "postman" / "wise-payouts-sandbox.postman_environment.json"
    result = run_import(key_file, tmp_path / "c", env)
    assert "is a Postman environment, not a collection: pass it with --environment" in result.output


def test_broken_bodies_name_the_part_never_the_value(key_file, tmp_path):
    secret = token("B64-")
    betamax = tmp_path / "betamax.json"
    betamax.write_text(json.dumps({"recorded_with": "betamax/0.8.1", "http_interactions": [
        {"recorded_at": "2026-11-20T09:00:00", "request": {"method": "GET", "uri": "http://127.0.0.1:9/a",
                                                           "headers": {}, "body": {"string": ""}},
         "response": {"status": {"code": 200, "message": "OK"}, "headers": {},
                      "body": {"base64_string": f"*{secret}*", "encoding": "utf-8"}}},
        {"recorded_at": "2026-11-20T09:00:01", "request": {"method": "GET", "uri": "http://127.0.0.1:9/b",
                                                           "headers": {"X-Odd": {"nested": secret}}},
         "response": {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": ""}}},
    ]}))
    result = run_import(key_file, tmp_path / "c", betamax)
    assert "entry 0: has a response body marked base64 that is not valid base64" in result.output
    assert "entry 1: has a request header value that is not text" in result.output
    assert secret not in result.output and result.exit_code == 1


def test_a_collection_nested_deeper_than_any_is_written_is_one_line(key_file, tmp_path):
    deep = tmp_path / "deep.postman_collection.json"
    folders = 3000
    deep.write_text('{"info": {"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, '
                    '"item": [' + '{"name": "f", "item": [' * folders + "]}" * folders + "]}")
    result = run_import(key_file, tmp_path / "c", deep)
    assert result.exit_code == 1
    assert "deep.postman_collection.json: is not valid JSON (not UTF-8, or nested deeper than any cassette)" \
        in result.output
