"""The pytest plugin, run on a test project of its own (pytester)."""

from tests.replay.cassettes import write_cassette
from tests.samples import KEY, exchange

pytest_plugins = ["pytester"]

TESTS = '''
import urllib.error, urllib.request
import pytest

def get(base, path):
    try:
        return urllib.request.urlopen(base + path, timeout=10).read()
    except urllib.error.HTTPError as exc:
        return exc.code

@pytest.mark.tillroll(cassette="pos")
def test_replayed(tillroll_replay):
    assert get(tillroll_replay.base_url, "/v1/items") == b"[1]"
    assert tillroll_replay.unmatched() == []

@pytest.mark.tillroll("pos")
def test_missing(tillroll_replay):
    assert get(tillroll_replay.base_url, "/v1/not-recorded") == 599

@pytest.mark.tillroll(cassette="pos", allow_misses=True)
def test_missing_allowed(tillroll_replay):
    assert get(tillroll_replay.base_url, "/v1/not-recorded") == 599
'''


def test_the_fixture_serves_the_cassette_and_fails_tests_with_unmatched_requests(pytester):
    write_cassette(pytester.path / "cassettes" / "pos", [exchange("GET", "api.example.com", "/v1/items",
                                                                  response=b"[1]")])
    (pytester.path / "key").write_bytes(KEY)
    pytester.makepyfile(test_pos=TESTS)
    result = pytester.runpytest_subprocess("--tillroll-key-file", str(pytester.path / "key"))
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*1 request(s) matched no recording in*pos*", "*GET /v1/not-recorded*"])


def test_allow_misses_on_the_command_line(pytester):
    write_cassette(pytester.path / "cassettes" / "pos", [exchange("GET", "api.example.com", "/v1/items",
                                                                  response=b"[1]")])
    pytester.makepyfile(test_pos=TESTS)
    result = pytester.runpytest_subprocess("--tillroll-allow-misses")
    result.assert_outcomes(passed=3)


ORDER = '''
import json, urllib.error, urllib.request
import pytest

@pytest.mark.tillroll(cassette="pos")
def test_order(tillroll_replay):
    body = {"card_number": "brandin@spoonity.com", "receipt_number": "R-NEVER", "total": 10}
    req = urllib.request.Request(tillroll_replay.base_url + "/order?api_key=ci-key-abcdefghij",
                                 data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    for _ in range(2):
        try:
            urllib.request.urlopen(req, timeout=10).read()
        except urllib.error.HTTPError:
            pass
'''


def test_a_failing_test_says_which_recording_is_nearest_and_which_field_differs(pytester):
    order = exchange("POST", "api.spoonity.com", "/order", query="api_key=live-key-0123456789",
                     body=b'{"card_number": "brandin@spoonity.com", "receipt_number": "R-2001", "total": 10}',
                     response=b'{"success": true}')
    write_cassette(pytester.path / "cassettes" / "pos", [order])
    (pytester.path / "key").write_bytes(KEY)
    pytester.makepyfile(test_pos=ORDER)
    result = pytester.runpytest_subprocess("--tillroll-key-file", str(pytester.path / "key"))
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*2 request(s) matched no recording in*pos*",
                                 "*POST /order (order.process)  (2 times)",
                                 "*nearest: POST /order (order.process)*failed: params",
                                 "*fields that differ (request vs recorded):",
                                 "*params.receipt_number: R-NEVER vs R-2001"])
    output = result.stdout.str() + result.stderr.str()
    assert "ci-key-abcdefghij" not in output and "live-key-0123456789" not in output
    assert "brandin@spoonity.com" not in output  # PII, pseudonymous in the match documents


RERECORD = '''
import json, urllib.request
import pytest

@pytest.mark.tillroll(cassette="pos")
def test_balance(tillroll_replay):
    req = urllib.request.Request(tillroll_replay.base_url + "/__sandbox/clock")
    assert "now" in json.loads(urllib.request.urlopen(req, timeout=10).read())
'''


def test_record_option_re_records_the_cassette_through_the_proxy(pytester):
    from tillroll.sandbox import start_sandbox
    from tillroll.store import open_cassette

    cassette = write_cassette(pytester.path / "cassettes" / "pos", [exchange("GET", "api.example.com", "/old",
                                                                             response=b"old")])
    (pytester.path / "key").write_bytes(KEY)
    pytester.makepyfile(test_pos=RERECORD)
    with start_sandbox() as upstream:
        result = pytester.runpytest_subprocess("--tillroll-record", upstream,
                                               "--tillroll-key-file", str(pytester.path / "key"))
    result.assert_outcomes(passed=1)
    [ex] = open_cassette(cassette).exchanges()  # replaced: the old recording is gone
    assert (ex.method, ex.path, ex.status) == ("GET", "/__sandbox/clock", 200)


def test_re_recording_never_replaces_a_folder_that_is_not_a_cassette(pytester):
    folder = pytester.path / "cassettes" / "pos"
    (folder / "date=2026-01-01").mkdir(parents=True)
    (folder / "date=2026-01-01" / "part-0.parquet").write_bytes(b"PAR1 not tillroll's PAR1")
    (folder / "README.txt").write_text("the team's own fixtures")
    before = sorted((p.relative_to(folder), p.read_bytes() if p.is_file() else None) for p in folder.rglob("*"))
    pytester.makepyfile(test_pos=RERECORD)
    result = pytester.runpytest_subprocess("--tillroll-record", "http://127.0.0.1:9")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cannot re-record: *pos is not a tillroll cassette (no tillroll.json) and not empty*"])
    assert sorted((p.relative_to(folder), p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")) == before
