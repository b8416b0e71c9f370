"""The recorder core: fail open, count, summarise."""

import logging

from tests.samples import exchange, redactor
from tillroll.proxy.recorder import Recorder
from tillroll.store import open_cassette


def test_an_unwritable_cassette_is_counted_and_logged_not_raised(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    recorder = Recorder(blocker, redactor())
    assert not recorder.ready
    assert recorder.record(exchange("GET", "api.example.com", "/x", response=b"{}")) is None
    assert recorder.stats.recording_errors == 1
    assert "not recorded" in caplog.text
    assert "recorded into" in recorder.close()


def test_the_summary_counts_operations_failures_and_redactions(tmp_path):
    recorder = Recorder(tmp_path / "c", redactor())
    body = b'{"RequestType": "GetToken", "SecurityID": "sec-0987654321"}'
    recorder.record(exchange("POST", "api.mydrycleaner.com", "/q", body=body, response=b'{"Failed": true}'))
    recorder.record(exchange("GET", "api.example.com", "/x", status=None, error="connection refused"))
    summary = recorder.close()
    assert "2 exchange(s) recorded" in summary and "1 failed, 1 error(s), 1 redaction(s)" in summary
    assert "spot      GetToken" in summary
    assert open_cassette(tmp_path / "c").read_table().num_rows == 2


def test_an_exchange_no_profile_names_does_not_break_the_summary(tmp_path):
    """XGL without an operation field: its operation is None beside named ones."""
    recorder = Recorder(tmp_path / "c", redactor())
    recorder.record(exchange("POST", "xgl.example.com", "/api/xgl", body=b"{}", response=b"{}",
                             headers=[("Content-Type", "application/json"), ("x-company-id", "C1")]))
    recorder.record(exchange("GET", "api.example.com", "/x", response=b"{}"))
    summary = recorder.close()
    assert "2 exchange(s) recorded" in summary and "xgl       -" in summary


def test_log_lines_never_carry_secrets(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    recorder = Recorder(tmp_path / "c", redactor())
    recorder.close()  # closed: further records fail and are logged
    body = b'{"RequestType": "GetToken", "SecurityID": "sec-LEAK-4242424242"}'
    assert recorder.record(exchange("POST", "api.mydrycleaner.com", "/q", body=body, response=b"{}")) is None
    assert "sec-LEAK-4242424242" not in caplog.text and "POST /q" in caplog.text
