"""Run a recording ``mitmdump`` (with the tillroll addon) as a child process.

For the demo, the end-to-end tests, the sample cassettes and the benchmarks: the core
does not import the ``proxy`` package, it starts the same addon file a user passes to
``mitmdump -s``. The child is bounded: start-up waits at most ``startup_timeout``, and
on exit it gets SIGTERM (the addon flushes and prints its summary), then SIGKILL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator


@dataclasses.dataclass
class ProxyProcess:
    process: subprocess.Popen
    ports: list[int]
    confdir: Path
    log_path: Path
    summary: str = ""  # what the addon printed at exit (filled in when it stops)

    @property
    def ca_cert(self) -> Path:
        return self.confdir / "mitmproxy-ca-cert.pem"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def addon_path() -> Path:
    spec = importlib.util.find_spec("tillroll.proxy.addon")
    if spec is None or spec.origin is None:
        raise RuntimeError("the tillroll proxy addon is not installed (package 'proxy')")
    return Path(spec.origin)


def mitmdump_executable() -> str:
    candidate = Path(sys.executable).with_name("mitmdump")
    return str(candidate) if candidate.exists() else "mitmdump"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def recording_proxy(cassette: Path | None, modes: list[str], *, workdir: Path, key_file: Path | None = None,
                    options: list[str] = (), startup_timeout: float = 30.0,
                    with_addon: bool = True, verbosity: str = "warn") -> Iterator[ProxyProcess]:
    """Start mitmdump listening on 127.0.0.1 in each of *modes* (``"regular"``,
    ``"reverse:http://127.0.0.1:8700"``); yield when every port accepts connections.

    Each mode gets a free port unless it names one (``...@8081``). *options* are extra
    ``--set`` values. With ``with_addon=False`` it is plain mitmdump (for comparisons).
    *verbosity* is mitmdump's ``termlog_verbosity`` (``info`` shows tillroll's line per exchange
    when ``tillroll_console=true`` is among the options).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    confdir = workdir / "mitmproxy"
    args = [mitmdump_executable(), "--listen-host", "127.0.0.1", "--set", f"confdir={confdir}",
            "--set", "flow_detail=0", "--set", f"termlog_verbosity={verbosity}"]  # quiet, but warnings shown
    ports = []
    for mode in modes:
        if "@" in mode.rsplit(":", 1)[-1]:
            port = int(mode.rsplit("@", 1)[1])
        else:
            port = free_port()
            mode = f"{mode}@{port}"
        ports.append(port)
        args += ["--mode", mode]
    if with_addon:
        args += ["-s", str(addon_path())]
        if cassette is not None:
            args += ["--set", f"tillroll_cassette={cassette}"]
        if key_file is not None:
            args += ["--set", f"tillroll_key_file={key_file}"]
    for option in options:
        args += ["--set", option]
    log_path = workdir / "mitmdump.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    proxy = ProxyProcess(process, ports, confdir, log_path)
    try:
        _wait_listening(proxy, startup_timeout)
        yield proxy
    finally:
        _stop(proxy)


def _wait_listening(proxy: ProxyProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(proxy.ports)
    while pending:
        if proxy.process.poll() is not None:
            raise RuntimeError(f"mitmdump exited with status {proxy.process.returncode}: {proxy.log()[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"mitmdump did not listen on {pending} within {timeout:.0f} s: {proxy.log()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", pending[0]), timeout=0.5):
                pending.pop(0)
        except OSError:
            time.sleep(0.05)


def _stop(proxy: ProxyProcess, timeout: float = 20.0) -> None:
    if proxy.process.poll() is None:
        proxy.process.send_signal(signal.SIGTERM)
        try:
            proxy.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proxy.process.pid, signal.SIGKILL)
            proxy.process.wait(10)
    text = proxy.log()
    start = text.find("tillroll: ")
    lines = [line for line in text[start:].splitlines() if line.startswith(("tillroll:", "  "))] if start >= 0 else []
    proxy.summary = "\n".join(lines)
