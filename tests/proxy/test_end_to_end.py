"""A real mitmdump with the addon between a real client and the vendor sandbox.

Reverse and regular (forward) proxy mode, over HTTP and over HTTPS: the sandbox serves a
certificate from its own local CA, mitmdump is told to trust it, and the client trusts
mitmdump's CA from the test's own confdir. The cassette must hold every exchange with the
right vendor, operation, parameters and outcome, and none of the sandbox's secrets.
"""

import datetime as dt
import json
import ssl

import pytest

from tillroll.demo.pos_day import Client, run_pos_day
from tillroll.proxy_process import recording_proxy
from tillroll.sandbox import FakeClock, credentials as creds, start_sandbox
from tillroll.sandbox.tls import server_ssl_context, write_certificates
from tillroll.store import open_cassette

SECRETS = [creds.SECURITY_ID, creds.PASSWORD, creds.SPOTON_API_KEY, creds.SPOONITY_API_KEY, creds.USERNAME,
           creds.SPOONITY_CARD]


@pytest.mark.parametrize("mode", ["reverse", "regular"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_pos_day_is_recorded_through_the_real_proxy(tmp_path, key_file, mode, scheme):
    clock = FakeClock(dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.timezone.utc))
    tls_dir = tmp_path / "tls"
    server_ctx = None
    if scheme == "https":
        write_certificates(tls_dir)
        server_ctx = server_ssl_context(tls_dir)
    with start_sandbox(clock=clock, ssl_context=server_ctx) as upstream:
        options = [f"ssl_verify_upstream_trusted_ca={tls_dir / 'ca.pem'}"] if scheme == "https" else []
        proxy_mode = f"reverse:{upstream}" if mode == "reverse" else "regular"
        with recording_proxy(tmp_path / "c", [proxy_mode], workdir=tmp_path / "mitm", key_file=key_file,
                             options=options) as proxy:
            port = proxy.ports[0]
            if mode == "reverse":
                client = Client(f"http://127.0.0.1:{port}")
            else:
                ctx = ssl.create_default_context(cafile=str(proxy.ca_cert)) if scheme == "https" else None
                client = Client(upstream, proxy=f"http://127.0.0.1:{port}", ssl_context=ctx)
            calls = run_pos_day(client, advance_clock=clock.advance, now=clock.now)
    assert "not recorded" in proxy.summary and " 0 not recorded" in proxy.summary, proxy.log()[-3000:]

    exchanges = open_cassette(tmp_path / "c").exchanges()
    assert [(e.method, e.path.split("?")[0], e.status) for e in exchanges] == \
        [(m, p, s) for m, p, s in calls]  # every exchange, in order, with what the client saw
    by_op = {(e.vendor, e.operation): e for e in exchanges}
    assert {v for v, _ in by_op} == {"spot", "spoton", "xgl", "spoonity"}

    locker = by_op[("spot", "LockerEvent")]
    assert locker.params_encoding == "Body" and json.loads(locker.params_json)["EventType"] == "D"
    login = by_op[("spot", "Login")]
    assert json.loads(login.params_json)["Password"] == "tillroll:dropped"
    assert by_op[("spot", "GetInvoices")].outcome == "error"  # the session idled past 20 minutes
    windows = [json.loads(e.params_json) for e in exchanges if e.operation == "cash-deposits.list"]
    assert all(w["locationId"] == "LocationX" and "updatedAtStart" in w for w in windows)
    assert by_op[("xgl", "voidOrder")].outcome == "failed" and by_op[("xgl", "voidOrder")].status == 200
    assert [e.outcome for e in exchanges if e.operation == "order.void"] == ["failed", "ok"]
    if scheme == "https":
        assert {e.scheme for e in exchanges} == {"https"}

    every_column = "\n".join(repr(e) for e in exchanges)  # (raw bytes: see test_canaries)
    for secret in SECRETS:
        assert secret not in every_column, secret
