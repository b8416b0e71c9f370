"""The mitmproxy options ``tillroll record`` sets, and the user's ``--set`` over them (pure).

Three kinds of option meet on one mitmproxy command line:

- **tillroll's defaults**, set because its UI wants them (mitmweb shows the comment column
  and opens no browser; the dump UI prints no raw flow lines). A user's ``--set`` of the
  same option replaces tillroll's value, never joins it: mitmproxy refuses a second value
  for a single-valued option ("Received multiple values for web_open_browser").
- **the addon's own options**, which tillroll record sets from its flags (the cassette,
  the key, the policy, the body limit). A ``--set`` of one is refused with one line
  naming the flag to use, so the key checked before start-up is the key used.
- **options with a flag of tillroll record** (``--mode``, ``--listen-host``,
  ``--confdir``): ``--set mode=X`` is read as ``--mode X`` and so on, so what tillroll
  prints (where the proxy listens, where the CA is) is what mitmproxy does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# mitmweb's own default columns, and tillroll's comment (vendor, operation, outcome)
WEB_COLUMNS = ("tls", "icon", "path", "method", "status", "size", "time", "comment")

ADDON_OWN = {"tillroll_cassette": "the CASSETTE argument", "tillroll_key_file": "--key-file",
             "tillroll_policy": "--policy", "tillroll_max_body": "--max-body"}
# options whose value is a password: never echoed, and refused twice (see resolve)
SECRET_VALUED = ("proxyauth", "web_password", "upstream_auth")
WITH_A_FLAG = {"mode": "--mode", "listen_host": "--listen-host", "confdir": "--confdir"}
# mitmdump's options that print flows (raw URLs, headers, bodies): the dump UI prints
# proxy/console.py's redacted line instead.
DUMP_OWNS = ("flow_detail", "dumper_filter", "tillroll_console")


class OptionClash(ValueError):
    """A ``--set`` tillroll record cannot take; the message is one line naming it and the fix."""


@dataclass(frozen=True)
class Resolved:
    modes: tuple[str, ...]
    listen_host: str | None
    confdir: Path | None
    sets: tuple[str, ...]  # every --set for mitmproxy: tillroll's defaults not overridden, then the user's
    proxyauth: bool  # the user asked for a password (its value is never kept here)


def resolve(sets: tuple[str, ...], ui: str, quiet: bool, modes: tuple[str, ...], listen_host: str | None,
            confdir: Path | None) -> Resolved:
    """The user's ``--set OPTION=VALUE`` list over tillroll's defaults for *ui*; raises
    :class:`OptionClash`."""
    user: list[tuple[str, str]] = []
    for option in sets:
        name, sep, value = option.partition("=")
        name = name.strip()
        if not sep or not name:
            raise OptionClash(f"{_show(option)} is not OPTION=VALUE")
        if name in ADDON_OWN:
            raise OptionClash(f"{name} is tillroll record's own option: give it with {ADDON_OWN[name]}, "
                              "not --set")
        if ui == "dump" and name in DUMP_OWNS and not (name == "flow_detail" and value.strip() == "0"):
            raise OptionClash(f"tillroll record prints its own redacted line per exchange; --set {name} would "
                              "print raw traffic (use --ui web, or mitmdump itself)")
        user.append((name, value))
    for name in SECRET_VALUED:  # mitmproxy's "Received multiple values" error would print them
        if sum(n == name for n, _ in user) > 1:
            raise OptionClash(f"--set {name} is given more than once: give it once")
    modes = tuple(modes) + tuple(v for n, v in user if n == "mode")
    listen_host = _one("listen_host", listen_host, user)
    folder = _one("confdir", str(confdir) if confdir else None, user)
    user = [(n, v) for n, v in user if n not in WITH_A_FLAG]
    chosen = {n for n, _ in user}
    merged = [(n, v) for n, v in ui_defaults(ui, quiet) if n not in chosen] + user
    return Resolved(modes, listen_host, Path(folder) if folder else None, tuple(f"{n}={v}" for n, v in merged),
                    proxyauth=any(n == "proxyauth" and v.strip() for n, v in user))


def ui_defaults(ui: str, quiet: bool) -> list[tuple[str, str]]:
    """The options tillroll sets for *ui*, each one a user's ``--set`` may replace."""
    if ui == "web":
        return [("web_open_browser", "false")] + [("web_columns", c) for c in WEB_COLUMNS]
    if ui == "dump":
        out = [("flow_detail", "0"), ("tillroll_console", "false" if quiet else "true")]
        return out + ([("termlog_verbosity", "warn")] if quiet else [])
    return []


def _one(name: str, flag_value: str | None, user: list[tuple[str, str]]) -> str | None:
    values = {v for n, v in user if n == name}
    if flag_value is not None:
        values.add(flag_value)
    if len(values) > 1:
        raise OptionClash(f"{name} is given more than once with different values ({WITH_A_FLAG[name]} and "
                          f"--set {name}=…): give it once")
    return values.pop() if values else None


def _show(option: str) -> str:
    """An option the user typed, fit for an error line (it may hold a password)."""
    return repr(option) if len(option) <= 40 and not any(c in option for c in ":@") else "a --set value"
