"""`tillroll send` refuses bad input with one clear line, before it sends anything."""

from __future__ import annotations

import pytest
from aiohttp import web
from click.testing import CliRunner

from tests.replay.cassettes import write_cassette
from tillroll.cli import main
from tillroll.proxy_process import free_port
from tillroll.sandbox import start_sandbox
from tillroll.store import init_cassette


def counting_app(seen: list[str]) -> web.Application:
    async def answer(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


@pytest.fixture
def target():
    seen: list[str] = []
    with start_sandbox(app=counting_app(seen)) as url:
        yield url, seen


def send(day, url, *args, secrets=True, key=True):
    argv = ["send", str(day.cassette), "--to", url, "--rate", "max"]
    argv += ["--secrets", str(day.secrets_file)] if secrets else []
    argv += ["--key-file", str(day.key_file)] if key else []
    return CliRunner(env={"TILLROLL_KEY": None, "XDG_CONFIG_HOME": "/nonexistent"}).invoke(main, [*argv, *args])


def one_line(result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def test_pseudonyms_without_a_value_stop_the_run_naming_their_fields(pos_day, target):
    url, seen = target
    line = one_line(send(pos_day, url, secrets=False))
    assert "nothing was sent" in line
    for field in ("SecurityID", "Password", "X-Api-Key", "api_key", "UserName", "card_number"):
        assert field in line
    assert seen == []


def test_allow_pseudonyms_sends_them_as_they_are_and_says_so(pos_day, target):
    url, seen = target
    result = send(pos_day, url, "--allow-pseudonyms", secrets=False)
    assert result.exit_code == 0, result.output
    assert "warning: sending 11 pseudonym(s) as they are" in result.stderr
    assert len(seen) == 35


def test_a_secret_that_stands_for_nothing_stops_the_run(pos_day, target, tmp_path):
    url, seen = target
    extra = tmp_path / "secrets.toml"
    extra.write_text(pos_day.secrets_file.read_text() + 'loyalty_pin = "4321"\n')
    result = CliRunner().invoke(main, ["send", str(pos_day.cassette), "--to", url, "--secrets", str(extra),
                                       "--key-file", str(pos_day.key_file)])
    line = one_line(result)
    assert "secret loyalty_pin stands for no pseudonym" in line and "4321" not in result.output
    assert seen == []


@pytest.mark.parametrize("problem, says", [
    ("missing", "does not exist"),
    ("wrong", "is not the one"),
    ("none", "no redaction key"),
])
def test_a_missing_or_wrong_key_stops_the_run(pos_day, target, tmp_path, problem, says):
    url, seen = target
    if problem == "none":
        result = send(pos_day, url, key=False)
    else:
        key = tmp_path / "key"
        if problem == "wrong":
            key.write_text("another-key-0123456789abcdef")
        result = CliRunner().invoke(main, ["send", str(pos_day.cassette), "--to", url, "--secrets",
                                           str(pos_day.secrets_file), "--key-file", str(key)])
    assert says in one_line(result)
    assert seen == []


def test_a_cassette_with_nothing_to_send(tmp_path, target, pos_day):
    url, seen = target
    init_cassette(tmp_path / "empty")
    line = one_line(CliRunner().invoke(main, ["send", str(tmp_path / "empty"), "--to", url, "--key-file",
                                              str(pos_day.key_file)]))
    assert "holds no requests to send" in line
    assert "is not a tillroll cassette (no tillroll.json): nothing is there" in one_line(CliRunner().invoke(main, ["send", str(tmp_path / "nope"), "--to", url]))
    assert seen == []


def test_an_unreachable_url_is_one_line_and_nothing_is_sent(pos_day):
    line = one_line(send(pos_day, f"http://127.0.0.1:{free_port()}"))
    assert line.startswith("Error: cannot reach http://127.0.0.1:") and "nothing was sent" in line


def test_a_target_that_refuses_tls_is_one_line(pos_day, target):
    url, seen = target
    line = one_line(send(pos_day, url.replace("http://", "https://")))
    assert "the TLS handshake failed" in line and "nothing was sent" in line
    assert seen == []


@pytest.mark.parametrize("to, says", [
    ("https://api.spoonity.com", "looks like spoonity's production API"),
    ("spot=https://api.mydrycleaner.com", "looks like spot's production API"),
    ("ftp://example.com", "is not an http(s) URL"),
    ("spot=http://127.0.0.1:9", "no --to for spoonity, spoton, xgl"),
])
def test_a_wrong_or_dangerous_target_is_refused(pos_day, to, says):
    assert says in one_line(send(pos_day, to))


def test_a_wrong_rate_is_a_usage_error(pos_day):
    result = send(pos_day, "http://127.0.0.1:9", "--rate", "fast")
    assert result.exit_code == 2 and "use recorded, max, or a multiple" in result.output


def test_a_cassette_of_generic_traffic_needs_no_secret(tmp_path, target):
    from tests.samples import KEY, exchange

    url, seen = target
    cassette = write_cassette(tmp_path / "c", [exchange("GET", "api.example.com", "/v1/items", query="page=2",
                                                        response=b"[1]")])
    key = tmp_path / "key"
    key.write_bytes(KEY)
    result = CliRunner().invoke(main, ["send", str(cassette), "--to", url, "--key-file", str(key)])
    assert result.exit_code == 0, result.output
    assert seen == ["/v1/items"]


def test_an_interrupted_run_says_how_far_it_got(pos_day, target, monkeypatch):
    import tillroll.send.cli as send_cli

    url, seen = target
    real_run = send_cli.run

    def interrupted(prepared, on_answer):  # Ctrl-C after the third answer
        real_run(type(prepared)(**{**prepared.__dict__, "plans": prepared.plans[:3]}), on_answer)
        raise KeyboardInterrupt

    monkeypatch.setattr(send_cli, "run", interrupted)
    result = send(pos_day, url)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines()[-1] == ("Error: interrupted: 3 of 35 request(s) were answered, the rest were "
                                              "not sent (or their answers not awaited)")
    assert len(seen) == 3
