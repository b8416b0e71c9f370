"""The secrets given to `tillroll send` / `verify` never reach a file, a log, the progress
output or an error: not when the target answers, nor when it echoes every request back in
a 4xx or 5xx, refuses TLS or cannot be reached. The secrets are fresh random canaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner

from tests.canaries import forms
from tests.send.conftest import LATER
from tillroll.cli import main
from tillroll.proxy_process import free_port
from tillroll.sandbox import FakeClock, start_sandbox
from tillroll.store import open_cassette

RUN = 10  # consecutive characters of a canary that count as a leak


def leaked(text: str, canaries: dict[str, str]) -> list[str]:
    data = text.encode("utf-8", "replace")
    return [name for name, value in canaries.items()
            if any(f in data for f in forms(value)) or any(value[i:i + RUN] in text
                                                           for i in range(len(value) - RUN + 1))]


def files_leaked(root: Path, canaries: dict[str, str]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            found += [f"{path.name}: {n}" for n in leaked(path.read_bytes().decode("latin-1"), canaries)]
    for ex in open_cassette(root).exchanges():  # Parquet is compressed: read it back too
        found += [f"exchange {ex.seq}: {n}" for n in leaked(json.dumps(_texts(ex)), canaries)]
    return found


def _texts(ex) -> list:
    return [ex.path, ex.query, ex.request_body_text, ex.response_body_text, ex.params_json, ex.outcome_message,
            ex.error, ex.match_key, ex.request_headers, ex.response_headers]


def echo_app() -> web.Application:
    """Answers every request with all of it, as a broken upstream's error page might."""
    async def echo(request: web.Request) -> web.Response:
        body = (await request.read()).decode("utf-8", "replace")
        doc = {"Failed": True, "Message": f"cannot handle {request.method} {request.path_qs}: {body}",
               "error": {"query": request.query_string, "headers": dict(request.headers), "body": body}}
        return web.json_response(doc, status=500 if request.method == "POST" else 401,
                                 headers={"X-Echo": request.query_string})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


def run(command: str, day, url: str, *extra: str):
    return CliRunner().invoke(main, [command, str(day.cassette), "--to", url, "--secrets", str(day.secrets_file),
                                     "--key-file", str(day.key_file), "--rate", "max", "--explain", *extra])


@pytest.mark.parametrize("command", ["send", "verify"])
def test_no_secret_in_output_or_files_when_the_sandbox_answers(pos_day, tmp_path, command):
    with start_sandbox(clock=FakeClock(LATER), credentials=pos_day.rotated) as url:
        result = run(command, pos_day, url, "--record-to", str(tmp_path / "live"))
    assert result.exit_code == 0, result.output
    assert leaked(result.output, pos_day.rotated) == []
    assert files_leaked(tmp_path / "live", pos_day.rotated) == []


def test_no_secret_when_the_target_echoes_every_request_in_4xx_and_5xx(pos_day, tmp_path):
    with start_sandbox(app=echo_app()) as url:
        sent = run("send", pos_day, url, "--record-to", str(tmp_path / "live"))
        verified = run("verify", pos_day, url, "--format", "json")
    assert sent.exit_code == 0 and verified.exit_code == 1, sent.output + verified.output
    assert "500×" in sent.stderr and "401×" in sent.stderr
    live = open_cassette(tmp_path / "live").exchanges()
    assert len(live) == 35 and {ex.status for ex in live} == {500, 401}
    assert leaked(sent.output + verified.output, pos_day.rotated) == []
    assert files_leaked(tmp_path / "live", pos_day.rotated) == []


def test_no_secret_when_the_target_is_unreachable_or_refuses_tls(pos_day):
    with start_sandbox(app=echo_app()) as url:
        refused_tls = run("send", pos_day, url.replace("http://", "https://"))
    unreachable = run("verify", pos_day, f"http://127.0.0.1:{free_port()}")
    for result in (refused_tls, unreachable):
        assert result.exit_code == 1 and "nothing was sent" in result.stderr
        assert leaked(result.output, pos_day.rotated) == []
