"""The user's --set over tillroll record's own options (pure)."""

from pathlib import Path

import pytest

from tillroll.proxy.options import WEB_COLUMNS, OptionClash, resolve


def values(resolved, name):
    return [s.partition("=")[2] for s in resolved.sets if s.partition("=")[0] == name]


def test_mitmweb_shows_tillrolls_comment_column_and_opens_no_browser_by_default():
    resolved = resolve((), "web", False, (), None, None)
    assert values(resolved, "web_columns") == list(WEB_COLUMNS) and "comment" in WEB_COLUMNS
    assert values(resolved, "web_open_browser") == ["false"]


def test_a_users_set_replaces_tillrolls_value_instead_of_clashing_with_it():
    resolved = resolve(("web_open_browser=false", "web_columns=path", "web_columns=comment"), "web", False,
                       (), None, None)
    assert values(resolved, "web_open_browser") == ["false"]  # once: mitmproxy refuses two values
    assert values(resolved, "web_columns") == ["path", "comment"]  # the user's list, not both lists
    quiet = resolve(("termlog_verbosity=info",), "dump", True, (), None, None)
    assert values(quiet, "termlog_verbosity") == ["info"] and values(quiet, "tillroll_console") == ["false"]


@pytest.mark.parametrize("option, flag", [("tillroll_cassette=elsewhere", "the CASSETTE argument"),
                                          ("tillroll_key_file=/k", "--key-file"),
                                          ("tillroll_max_body=5", "--max-body")])
def test_the_addons_own_options_are_refused_in_one_line_naming_the_flag(option, flag):
    with pytest.raises(OptionClash) as exc:
        resolve((option,), "web", False, (), None, None)
    message = str(exc.value)
    assert option.partition("=")[0] in message and flag in message and "\n" not in message


def test_options_with_a_flag_can_be_given_either_way_but_not_twice_differently(tmp_path):
    resolved = resolve(("listen_host=127.0.0.1", "confdir=" + str(tmp_path), "mode=regular@9090"), "dump",
                       False, ("reverse:https://api.spoonity.com@8082",), None, None)
    assert resolved.listen_host == "127.0.0.1" and resolved.confdir == Path(tmp_path)
    assert resolved.modes == ("reverse:https://api.spoonity.com@8082", "regular@9090")
    assert not any(s.startswith(("listen_host=", "confdir=", "mode=")) for s in resolved.sets)
    assert resolve(("listen_host=10.0.0.5",), "dump", False, (), "10.0.0.5", None).listen_host == "10.0.0.5"
    with pytest.raises(OptionClash, match="--listen-host and --set listen_host"):
        resolve(("listen_host=0.0.0.0",), "dump", False, (), "127.0.0.1", None)


def test_the_dump_ui_refuses_options_that_would_print_raw_traffic():
    with pytest.raises(OptionClash, match="would print raw traffic"):
        resolve(("flow_detail=2",), "dump", False, (), None, None)
    assert values(resolve(("flow_detail=0",), "dump", False, (), None, None), "flow_detail") == ["0"]
    assert values(resolve(("flow_detail=2",), "web", False, (), None, None), "flow_detail") == ["2"]


def test_a_password_is_noticed_and_a_malformed_set_never_echoes_one():
    assert resolve(("proxyauth=pos:s3cret-Pa55",), "dump", False, (), None, None).proxyauth
    assert not resolve((), "dump", False, (), None, None).proxyauth
    with pytest.raises(OptionClash) as exc:
        resolve(("proxyauth pos:s3cret-Pa55",), "dump", False, (), None, None)
    assert "s3cret" not in str(exc.value) and "OPTION=VALUE" in str(exc.value)


@pytest.mark.parametrize("option", ["proxyauth", "web_password", "upstream_auth"])
def test_a_password_option_given_twice_is_refused_without_echoing_either_value(option):
    with pytest.raises(OptionClash) as refused:
        resolve((f"{option}=alice:first-SECRET-1", f"{option}=bob:second-SECRET-2"), "dump", False, (), None, None)
    assert str(refused.value) == f"--set {option} is given more than once: give it once"
