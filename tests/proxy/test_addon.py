"""The addon inside mitmproxy's own test harness (taddons, tflow)."""

import asyncio
import json

import pytest
from mitmproxy import exceptions
from mitmproxy.test import taddons, tflow, tutils

from tillroll.proxy.addon import WARNING_MARK, TillrollRecorder
from tillroll.proxy.tee import Tee
from tillroll.store import open_cassette


@pytest.fixture
def addon():
    """The addon, closed after the test whatever happened: a capture worker left open (a
    failed assertion before ``done()``) would keep pytest from exiting."""
    recorder = TillrollRecorder()
    yield recorder
    recorder._close()


def spot_flow(failed: bool):
    flow = tflow.tflow(
        req=tutils.treq(host="api.mydrycleaner.com", port=443, scheme=b"https", path=b"/q", method=b"POST",
                        content=json.dumps({"RequestType": "GetCustomer", "AccountKey": "ABCD1234",
                                            "SessionID": "sess-canary-123456"}).encode()),
        resp=tutils.tresp(content=json.dumps({"Failed": failed, "Message": "Unable to load account."
                                              if failed else None}).encode()),
    )
    flow.request.headers["content-type"] = "application/json"
    return flow


@pytest.mark.parametrize("inline", [False, True], ids=["worker", "inline"])
def test_flows_are_recorded_commented_and_hidden_failures_marked(tmp_path, key_file, inline, addon):
    with taddons.context(addon) as tctx:
        tctx.configure(addon, tillroll_cassette=str(tmp_path / "c"), tillroll_key_file=str(key_file),
                       tillroll_inline=inline)
        assert (addon.worker is None) == inline
        ok, failed = spot_flow(False), spot_flow(True)
        addon.response(ok)
        addon.response(failed)
        addon.done()  # no event loop here: the worker's answers are applied when it closes
        assert ok.comment == "tillroll: spot GetCustomer ok" and not ok.marked
        assert failed.comment == ("tillroll: spot GetCustomer failed: Unable to load account. "
                                  "(hidden in HTTP 200)")
        assert failed.marked == WARNING_MARK
    exchanges = open_cassette(tmp_path / "c").exchanges()
    assert [e.outcome for e in exchanges] == ["ok", "failed"]
    assert all("sess-canary-123456" not in (e.request_body_text or "") for e in exchanges)


def test_quiet_mitmdump_records_every_flow_without_asking_for_answers(tmp_path, key_file, monkeypatch, addon):
    """mitmdump never shows a flow again: with no console line either (tillroll record -q),
    the worker records without sending anything back (no line, no comment to build)."""
    import tillroll.proxy.addon

    monkeypatch.setattr(tillroll.proxy.addon, "_dump_ui", lambda: True)
    with taddons.context(addon) as tctx:
        tctx.configure(addon, tillroll_cassette=str(tmp_path / "c"), tillroll_key_file=str(key_file),
                       tillroll_console=False)
        flows = [spot_flow(False), spot_flow(True)]
        for flow in flows:
            addon.response(flow)
        assert not addon._waiting  # nothing waits for an answer
        tctx.configure(addon, tillroll_console=True)  # a line asked for: answers again
        shown = spot_flow(True)
        addon.response(shown)
        addon.done()
    assert [f.comment for f in flows] == ["", ""] and shown.comment.startswith("tillroll: spot GetCustomer failed")
    assert [e.outcome for e in open_cassette(tmp_path / "c").exchanges()] == ["ok", "failed", "failed"]


def test_the_worker_comments_flows_while_the_proxy_runs(tmp_path, key_file, addon):
    """With mitmproxy's loop running, comments arrive without waiting for the exit."""

    async def scenario():
        with taddons.context(addon) as tctx:
            tctx.configure(addon, tillroll_cassette=str(tmp_path / "c"), tillroll_key_file=str(key_file))
            addon.running()
            failed = spot_flow(True)
            addon.response(failed)
            for _ in range(200):  # bounded: 10 s
                if failed.comment:
                    break
                await asyncio.sleep(0.05)
            comment, marked = failed.comment, failed.marked
            addon.done()
        return comment, marked

    comment, marked = asyncio.run(scenario())
    assert comment.startswith("tillroll: spot GetCustomer failed") and marked == WARNING_MARK


def test_errors_without_a_response_are_recorded(tmp_path, key_file, addon):
    with taddons.context(addon) as tctx:
        tctx.configure(addon, tillroll_cassette=str(tmp_path / "c"), tillroll_key_file=str(key_file))
        flow = tflow.tflow(err=True)
        addon.error(flow)
        addon.done()
    [ex] = open_cassette(tmp_path / "c").exchanges()
    assert (ex.status, ex.outcome, ex.error) == (None, "error", "error")


def test_bad_options_are_refused_with_one_clear_error(tmp_path, addon):
    with taddons.context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match="does not exist"):
            tctx.configure(addon, tillroll_cassette=str(tmp_path / "c"), tillroll_key_file=str(tmp_path / "nokey"))
        with pytest.raises(exceptions.OptionsError, match="0 or more"):
            tctx.configure(addon, tillroll_max_body=-1)


def test_without_a_cassette_the_addon_does_nothing(addon):
    with taddons.context(addon):
        flow = spot_flow(True)
        addon.response(flow)
        assert flow.comment == "" and addon.recorder is None


def test_streamed_bodies_are_teed_and_recorded_truncated(tmp_path, key_file, addon):
    with taddons.context(addon) as tctx:
        tctx.configure(addon, tillroll_cassette=str(tmp_path / "c"), tillroll_key_file=str(key_file),
                       tillroll_max_body=10)
        flow = tflow.tflow(resp=True)
        flow.response.stream = True
        addon.responseheaders(flow)
        tee = flow.response.stream
        assert isinstance(tee, Tee)
        chunks = [tee(b"0123456789abcdef"), tee(b"ghij"), tee(b"")]
        assert b"".join(chunks) == b"0123456789abcdefghij"  # the client gets every byte
        flow.response.content = b""
        addon.response(flow)
        addon.done()
    [ex] = open_cassette(tmp_path / "c").exchanges()
    assert ex.response_body == b"0123456789" and ex.response_truncated and ex.response_body_size == 20


def test_large_buffered_bodies_are_stored_up_to_the_limit(tmp_path, key_file, addon):
    with taddons.context(addon) as tctx:
        tctx.configure(addon, tillroll_cassette=str(tmp_path / "c"), tillroll_key_file=str(key_file),
                       tillroll_max_body=100)
        flow = tflow.tflow(resp=tutils.tresp(content=b"x" * 5000))
        addon.response(flow)
        assert flow.response.content == b"x" * 5000  # untouched
        addon.done()
    [ex] = open_cassette(tmp_path / "c").exchanges()
    assert len(ex.response_body) == 100 and ex.response_truncated and ex.response_body_size == 5000
