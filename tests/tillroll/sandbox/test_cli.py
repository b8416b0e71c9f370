"""``tillroll sandbox``: documented, with an example (running it is covered by test_server)."""

from click.testing import CliRunner

from tillroll.sandbox.cli import sandbox


def test_help_lists_the_options_and_ends_with_an_example():
    result = CliRunner().invoke(sandbox, ["-h"], prog_name="tillroll sandbox")
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in sandbox.help.strip().splitlines()]
    example = lines.index("Example:")
    assert all(line.startswith(("tillroll sandbox", "curl ")) for line in lines[example + 1:])
    for option in ("--host", "--port", "--https", "--fake-clock", "--seed", "8700"):
        assert option in result.output
    assert "tillroll sandbox --port 8443 --https --fake-clock" in result.output


def test_a_bad_port_is_one_clear_line():
    result = CliRunner().invoke(sandbox, ["--port", "99999"], prog_name="tillroll sandbox")
    assert result.exit_code == 2 and "--port" in result.output and "Traceback" not in result.output
