"""Real vcrpy, Ruby VCR and Betamax cassettes from public projects (tests/fixtures/interop):
each imports every interaction, replays through the replay server to a real HTTP client,
and a vcrpy cassette round-trips through ``tillroll export --format vcr``."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tillroll.replay.app import make_app
from tillroll.replay.server import ReplayServer, open_replayer
from tillroll.cli import main
from tillroll.store import open_cassette
from .conftest import run_import

FIXTURES = Path(__file__).parents[2] / "fixtures" / "interop"
VCRPY, RUBY, BETAMAX = FIXTURES / "vcrpy", FIXTURES / "ruby-vcr", FIXTURES / "betamax"
requests = pytest.importorskip("requests")  # the test extra installs it: the client vcrpy and Betamax wrap


def stored(cassette):
    return open_cassette(cassette).exchanges()


@pytest.mark.parametrize("name, fmt, count", [
    ("vcrpy/saleor-authorize_net-authorize_and_capture.yaml", "vcrpy", 2),
    ("vcrpy/saleor-authorize_net-refund.yaml", "vcrpy", 1),
    ("vcrpy/saleor-braintree-void.yaml", "vcrpy", 1),
    ("vcrpy/vcrpy-new_cassette.json", "vcrpy", 1),
    ("vcrpy/vcrpy-old_cassette.yaml", "vcrpy", 1),
    ("vcrpy/vcrpy-old_cassette.json", "vcrpy", 1),
    ("ruby-vcr/lightspeed_pos-sales-create.yml", "ruby-vcr", 2),
    ("ruby-vcr/yahoo_store_api-get_item.yml", "ruby-vcr", 2),
    ("ruby-vcr/yahoo_store_api-upload_item_file.yml", "ruby-vcr", 2),
    ("betamax/betamax-preserve_exact_bytes.json", "betamax", 1),
    ("betamax/betamax-GitHub_create_issue.json", "betamax", 2),
])
def test_every_interaction_of_each_real_cassette_is_imported(key_file, tmp_path, name, fmt, count):
    result = run_import(key_file, tmp_path / "c", FIXTURES / name)
    assert result.exit_code == 0, result.output
    assert f"{fmt}, {count} imported, 0 skipped" in result.output
    assert len(stored(tmp_path / "c")) == count


def test_vcrpy_bodies_come_in_as_the_client_got_them(key_file, tmp_path):
    run_import(key_file, tmp_path / "c", VCRPY / "saleor-authorize_net-authorize_and_capture.yaml",
               VCRPY / "saleor-braintree-void.yaml", VCRPY / "vcrpy-old_cassette.yaml")
    auth, capture, void, old = _by_role(stored(tmp_path / "c"))
    # two POSTs to one URL, in the order recorded, told apart by their XML bodies
    assert (auth.method, auth.url, capture.url) == ("POST", "https://apitest.authorize.net/xml/v1/request.api",
                                                    auth.url)
    assert "authOnlyTransaction" in auth.request_body_text and "priorAuthCaptureTransaction" in capture.request_body_text
    assert auth.started_at < capture.started_at
    assert auth.response_body.startswith("\ufeff<?xml".encode())  # Authorize.Net's BOM kept
    # Braintree's gzip !!binary: stored inflated (5694 bytes of XML), its wire size kept
    assert void.method == "PUT" and void.status == 200 and void.response_content_encoding == "gzip"
    assert void.response_body_size == 1640 and void.response_body_text.startswith('<?xml version="1.0"')
    assert "</transaction>" in void.response_body_text
    # the pre-1.0 format: host/port/path and python-tagged objects, read as data
    assert (old.url, old.status, old.response_body_text) == ("http://httpbin.org/ip", 200,
                                                             '{\n  "origin": "217.122.164.194"\n}')
    assert ("user-agent", "python-requests/2.2.1 CPython/2.6.1 Darwin/10.8.0") in old.request_headers


def _by_role(exchanges):
    by_host = {}
    for ex in sorted(exchanges, key=lambda ex: ex.started_at):
        by_host.setdefault(ex.host, []).append(ex)
    [auth, capture] = by_host["apitest.authorize.net"]
    return auth, capture, by_host["api.sandbox.braintreegateway.com"][0], by_host["httpbin.org"][0]


def test_vcrpy_keeps_no_times_so_the_import_says_it_used_the_date_header(key_file, tmp_path):
    result = run_import(key_file, tmp_path / "c", VCRPY / "saleor-authorize_net-refund.yaml")
    assert "note: vcrpy cassettes keep no recorded times: timed 1 from the response's Date header" in result.output
    [ex] = stored(tmp_path / "c")
    assert ex.started_at == dt.datetime(2020, 11, 24, 20, 49, 9, tzinfo=dt.timezone.utc)


def test_ruby_vcr_keeps_recorded_at_and_binary_bodies_byte_for_byte(key_file, tmp_path):
    result = run_import(key_file, tmp_path / "c", RUBY / "yahoo_store_api-get_item.yml",
                        RUBY / "yahoo_store_api-upload_item_file.yml", RUBY / "lightspeed_pos-sales-create.yml")
    assert "note:" not in result.output  # every interaction has its recorded_at
    got = {(ex.started_at, ex.method, ex.path): ex for ex in stored(tmp_path / "c")}
    utc = dt.timezone.utc
    sales = [ex for ex in got.values() if ex.host == "api.merchantos.com"]
    assert [ex.started_at.replace(microsecond=0) for ex in sales] == [
        dt.datetime(2016, 2, 13, 0, 49, 37, tzinfo=utc), dt.datetime(2016, 2, 13, 0, 49, 38, tzinfo=utc)]
    assert all(ex.method == "POST" for ex in sales)  # Ruby writes "post"
    item = next(ex for ex in got.values() if ex.path.endswith("/getItem"))
    assert item.started_at.replace(microsecond=0) == dt.datetime(2017, 5, 11, 7, 33, 51, tzinfo=utc)
    assert len(item.response_body) == 2212 and "商品ページ3" in item.response_body_text  # from !binary
    upload = next(ex for ex in got.values() if ex.path.endswith("/uploadItemFile"))
    assert upload.request_body_bytes is not None  # Shift_JIS: not UTF-8, kept as bytes
    assert "商品".encode("shift_jis") in upload.request_body_bytes
    token = next(ex for ex in got.values() if ex.path.endswith("/token") and ex.started_at.year == 2021)
    cookies = [v for k, v in token.response_headers if k.lower() == "set-cookie"]
    assert len(cookies) == 4  # a multi-valued header stays several headers (each value redacted)


def test_betamax_current_and_legacy_formats(key_file, tmp_path):
    run_import(key_file, tmp_path / "c", BETAMAX / "betamax-preserve_exact_bytes.json",
               BETAMAX / "betamax-GitHub_create_issue.json")
    post, repo, issue = sorted(stored(tmp_path / "c"), key=lambda ex: (ex.host != "httpbin.org", ex.started_at))
    assert post.request_body == b"a=1" and post.response_body_text.startswith("{\n  \"args\"")
    assert post.started_at == dt.datetime(2015, 6, 27, 15, 39, 25, tzinfo=dt.timezone.utc)
    # legacy: status_code, string headers; a body already inflated under Content-Encoding: gzip is
    # stored once-decoded JSON, not inflated twice or dropped
    assert (repo.status, issue.status) == (200, 201)
    assert repo.response_body_text.startswith('{"id":5816984')
    assert ("Authorization", "token <AUTH_TOKEN>") not in repo.request_headers  # a credential header, redacted


def test_imported_vcrpy_cassettes_replay_to_requests(key_file, tmp_path):
    """vcrpy's own client, requests, gets each recorded answer from the replay server; the
    authorize and the capture (same URL) are told apart by their bodies."""
    run_import(key_file, tmp_path / "c", VCRPY / "saleor-authorize_net-authorize_and_capture.yaml",
               VCRPY / "saleor-braintree-void.yaml", VCRPY / "vcrpy-new_cassette.json")
    documents = yaml.safe_load((VCRPY / "saleor-authorize_net-authorize_and_capture.yaml").read_text())
    opened = open_replayer(tmp_path / "c", key_file=key_file)
    with ReplayServer(make_app(opened.replayer)) as server, requests.Session() as http:
        for interaction in reversed(documents["interactions"]):  # out of order: matched by body, not by turn
            req = interaction["request"]
            got = http.post(server.base_url + "/xml/v1/request.api", data=req["body"].encode(),
                            headers={"Content-Type": "application/xml"}, timeout=10)
            assert got.status_code == 200
            assert got.content == interaction["response"]["body"]["string"].encode("utf-8")
        void = http.put(server.base_url + "/merchants/9m6qhfxsqzm3cgzw/transactions/narvpy2m/void", timeout=10)
        assert void.status_code == 200 and void.headers["Content-Encoding"] == "gzip"
        [recorded] = [ex for ex in stored(tmp_path / "c") if ex.method == "PUT"]
        assert void.content == recorded.response_body  # as stored: the customer's email and name redacted
        assert b"<id>narvpy2m</id>" in void.content and b"<status>voided</status>" in void.content
        ip = http.get(server.base_url + "/ip", timeout=10)
        assert ip.json() == {"origin": "217.122.164.194"}


def test_imported_ruby_and_betamax_cassettes_replay(key_file, tmp_path):
    """No Ruby here (VCR's own clients are Ruby's): requests, as Betamax wraps it, stands in."""
    run_import(key_file, tmp_path / "c", RUBY / "lightspeed_pos-sales-create.yml",
               BETAMAX / "betamax-preserve_exact_bytes.json")
    recorded = yaml.safe_load((RUBY / "lightspeed_pos-sales-create.yml").read_text())["http_interactions"]
    opened = open_replayer(tmp_path / "c", key_file=key_file)
    with ReplayServer(make_app(opened.replayer)) as server, requests.Session() as http:
        for interaction in recorded:
            got = http.post(server.base_url + "/API/Account/-/Sale.json",
                            data=interaction["request"]["body"]["string"].encode(), timeout=10)
            assert got.status_code == 200 and got.json() == __import__("json").loads(
                interaction["response"]["body"]["string"])
        post = http.post(server.base_url + "/post", data={"a": "1"}, timeout=10)
        assert post.status_code == 200 and post.json()["form"] == {"a": "1"}


def test_vcrpy_round_trips_through_a_cassette(key_file, tmp_path):
    """vcrpy -> tillroll -> vcrpy keeps every interaction, status, header order and body
    (what export leaves to the transport aside: Content-Length, Content-Encoding, Connection)."""
    source = VCRPY / "saleor-authorize_net-authorize_and_capture.yaml"
    run_import(key_file, tmp_path / "c", source, VCRPY / "saleor-braintree-void.yaml")
    out = tmp_path / "back.yaml"
    result = CliRunner().invoke(main, ["export", str(tmp_path / "c"), str(out), "--format", "vcr"])
    assert result.exit_code == 0, result.output
    back = yaml.safe_load(out.read_text())["interactions"]
    originals = [*yaml.safe_load(source.read_text())["interactions"],
                 *yaml.safe_load((VCRPY / "saleor-braintree-void.yaml").read_text())["interactions"]]
    assert len(back) == len(originals) == 3
    transport = {"content-length", "content-encoding", "transfer-encoding", "connection", "host"}
    for before, after in zip(sorted(originals, key=_uri_and_body), sorted(back, key=_uri_and_body)):
        assert after["request"]["method"] == before["request"]["method"]
        assert after["request"]["uri"] == before["request"]["uri"]
        assert after["response"]["status"] == before["response"]["status"]
        for side in ("request", "response"):
            names = [k for k in before[side]["headers"] if k.lower() not in transport]
            assert [k for k in after[side]["headers"] if k.lower() not in transport] == names
        body = before["response"]["body"]["string"]
        if isinstance(body, bytes):  # vcrpy kept gzip; export writes it decoded, as decode_compressed_response
            body = gzip.decompress(body).decode()
        assert same_but_redacted(body, after["response"]["body"]["string"])
    # and the exported cassette imports again to the same exchanges
    run_import(key_file, tmp_path / "again", out)
    first = sorted((ex.method, ex.url, ex.status, ex.response_body) for ex in stored(tmp_path / "c"))
    second = sorted((ex.method, ex.url, ex.status, ex.response_body) for ex in stored(tmp_path / "again"))
    assert first == second


def same_but_redacted(before: str, after: str) -> bool:
    """*after* is *before* except for values redaction replaced (split at XML tags)."""
    b, a = re.split(r"(?<=>)", before.rstrip("\n")), re.split(r"(?<=>)", after.rstrip("\n"))
    return len(a) == len(b) and all(x == y or "tillroll:" in y for x, y in zip(b, a))


def _uri_and_body(interaction):
    body = interaction["request"]["body"]
    return interaction["request"]["uri"], body if isinstance(body, str) else ""
