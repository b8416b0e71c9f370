"""What a user gets from `pip install`: the wheel and the sdist built from a copy of the
repository, installed in a fresh virtualenv outside the checkout, and run as a user runs
them — the commands, the demo on the sandbox, replay, the addon in a real mitmdump, and
the pytest plugin beside a project that has its own `analysis`, `replay` and `proxy`.

Slow by nature (a build and an install; pip reuses the wheels it downloaded before), so
the fixtures are built once for the module and the tests share them, in file order."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tillroll.proxy_process import free_port

REPO = Path(__file__).resolve().parents[1]
SAMPLE_KEY = REPO / "cassettes" / "sample.key"
pytestmark = pytest.mark.slow


def environment() -> dict[str, str]:
    """The caller's environment without anything pointing at the checkout or its venv, nor
    its choice of capture path (a user's install is built the standard way, even when this
    suite runs with TILLROLL_NO_EXTENSIONS=1)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "TILLROLL_NO_EXTENSIONS")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run(*args, cwd: Path, timeout: float = 600, check: bool = True, env: dict | None = None, **kwargs):
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env or environment(), capture_output=True, text=True,
                          timeout=timeout, **kwargs)
    if check:
        assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """A wheel and an sdist built from a copy of the tracked tree (as a fresh clone has it)."""
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file() and not name.startswith(("tests/", "benchmarks/", "notebooks/", "fuzz/")):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, source, cwd=source)
    [wheel] = out.glob("tillroll-*.whl")
    [sdist] = out.glob("tillroll-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory) -> Path:
    """A fresh virtualenv outside the checkout with the wheel (and pytest) installed."""
    home = tmp_path_factory.mktemp("user")
    run(sys.executable, "-m", "venv", home / "venv", cwd=home)
    run(home / "venv" / "bin" / "python", "-m", "pip", "install", "--quiet", dist["wheel"], "pytest", cwd=home)
    return home / "venv"


def bin_(venv: Path, name: str) -> Path:
    return venv / "bin" / name


# -- the wheel --------------------------------------------------------------------------------

def test_the_wheel_installs_one_import_name_and_everything_it_needs(dist):
    names = zipfile.ZipFile(dist["wheel"]).namelist()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {"tillroll"}
    for needed in ("tillroll/proxy/addon.py", "tillroll/replay/pytest_plugin.py", "tillroll/send/cli.py",
                   "tillroll/analysis/sql/views/00_macros.sql", "tillroll/analysis/sql/reports/usage.sql",
                   "tillroll/analysis/sql/checks/spot_security_id.sql", "tillroll/sandbox/app.py",
                   "tillroll/demo/pos_day.py", "tillroll/__main__.py"):
        assert needed in names, needed
    compiled = {n.split(".")[0] for n in names if n.endswith(".so")}
    sources = {str(p.relative_to(REPO).with_suffix("")) for p in (REPO / "tillroll").glob("*/_*.pyx")}
    assert sources and compiled == sources, (compiled, sources)  # a platform wheel carries every compiled module
    assert "-py3-none-any" not in dist["wheel"].name
    entry_points = zipfile.ZipFile(dist["wheel"]).read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "tillroll = tillroll.replay.pytest_plugin" in entry_points
    assert all(line.split("=")[1].strip().startswith("tillroll") for line in entry_points.splitlines()
               if "=" in line), entry_points


def test_the_sdist_carries_the_compiled_paths_sources(dist):
    import tarfile

    names = tarfile.open(dist["sdist"]).getnames()
    for source in ("_native.pyx", "_native.pxd", "_json_text.pyx", "_keyed_digest.pyx", "_match_key.pyx"):
        assert any(n.endswith(f"tillroll/capture/{source}") for n in names), source
    assert any(n.endswith("/CHANGELOG.md") for n in names)
    assert not any(n.endswith(".so") for n in names)


def test_version_names_the_compiled_path_as_command_and_as_module(venv, tmp_path):
    for args in ([bin_(venv, "tillroll")], [bin_(venv, "python"), "-m", "tillroll"]):
        out = run(*args, "--version", cwd=tmp_path).stdout
        assert out.startswith("tillroll, version ") and "capture: native" in out, out


def test_the_demo_check_report_and_replay_work_outside_the_checkout(venv, tmp_path):
    tillroll = bin_(venv, "tillroll")
    demo = tmp_path / "demo"
    out = run(tillroll, "demo", "--cassette", demo, "--key-file", SAMPLE_KEY, cwd=tmp_path).stdout
    assert "requests sent through the proxy" in out and "spoonity" in out
    check = run(tillroll, "check", demo, cwd=tmp_path, check=False)
    assert check.returncode == 1 and "error(s) and" in check.stdout, check.stdout  # the demo plants some
    report = run(tillroll, "report", "errors", demo, "--format", "json", cwd=tmp_path).stdout
    assert any(row["hidden_in_2xx"] for row in json.loads(report)), report
    [recorded] = json.loads(run(tillroll, "query", "SELECT path, query, status, response_body_text FROM exchanges "
                                "WHERE vendor = 'spoton' AND method = 'GET' ORDER BY started_at LIMIT 1", demo,
                                "--format", "json", cwd=tmp_path).stdout)
    port = free_port()
    server = subprocess.Popen([str(tillroll), "replay", str(demo), "--port", str(port), "--key-file", str(SAMPLE_KEY)],
                              cwd=tmp_path, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        answer = _get(f"http://127.0.0.1:{port}{recorded['path']}?{recorded['query']}", server)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert answer == (recorded["status"], recorded["response_body_text"])


def _get(url: str, server: subprocess.Popen, tries: int = 150) -> tuple[int, str]:
    """*url*'s status and body, once the server listens (bounded: 15 s)."""
    for _ in range(tries):
        assert server.poll() is None, server.stdout.read().decode(errors="replace")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except (ConnectionError, urllib.error.URLError):
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def test_the_addon_path_loads_into_a_real_mitmdump(venv, tmp_path):
    addon = Path(run(bin_(venv, "tillroll"), "addon-path", cwd=tmp_path).stdout.strip())
    assert addon.is_file() and venv in addon.parents  # the installed file, not the checkout's
    sandbox_port, proxy_port = free_port(), free_port()
    sandbox = subprocess.Popen([str(bin_(venv, "tillroll")), "sandbox", "--port", str(sandbox_port)], cwd=tmp_path,
                               env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    proxy = subprocess.Popen([str(bin_(venv, "mitmdump")), "-q", "--listen-host", "127.0.0.1", "-s", str(addon),
                              "--mode", f"reverse:http://127.0.0.1:{sandbox_port}@{proxy_port}",
                              "--set", f"tillroll_cassette={tmp_path / 'recorded'}",
                              "--set", f"tillroll_key_file={SAMPLE_KEY}", "--set", f"confdir={tmp_path / 'mitm'}"],
                             cwd=tmp_path, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        _get(f"http://127.0.0.1:{sandbox_port}/__sandbox/clock", sandbox)  # the sandbox is up
        status, body = _get(f"http://127.0.0.1:{proxy_port}/__sandbox/clock", proxy)
        assert status == 200 and "now" in json.loads(body)
    finally:
        for process in (proxy, sandbox):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    info = json.loads(run(bin_(venv, "tillroll"), "info", tmp_path / "recorded", "--format", "json",
                          cwd=tmp_path).stdout)
    assert info["exchanges"] == 1, info


USER_TEST = '''
import urllib.request

import analysis
import proxy
import replay
import pytest


def test_my_own_packages_are_mine():
    assert (analysis.OWNER, replay.OWNER, proxy.OWNER) == ("shop", "shop", "shop")


@pytest.mark.tillroll(cassette="{cassette}")
def test_the_recorded_vendor_answers(tillroll_replay):
    assert analysis.OWNER == "shop"
    url = tillroll_replay.base_url + "{path}"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == {status}
        assert response.read().decode() == {body!r}
'''


def test_a_user_project_with_its_own_analysis_replay_and_proxy_uses_the_fixture(venv, tmp_path):
    demo = tmp_path / "demo"
    run(bin_(venv, "tillroll"), "demo", "--cassette", demo, "--key-file", SAMPLE_KEY, cwd=tmp_path)
    [recorded] = json.loads(run(bin_(venv, "tillroll"), "query", "SELECT path, query, status, response_body_text "
                                "FROM exchanges WHERE vendor = 'spoton' AND method = 'GET' ORDER BY started_at "
                                "LIMIT 1", demo, "--format", "json", cwd=tmp_path).stdout)
    project = tmp_path / "shop"
    for package in ("analysis", "replay", "proxy"):
        (project / package).mkdir(parents=True)
        (project / package / "__init__.py").write_text('OWNER = "shop"\n')
    (project / "tests").mkdir()
    (project / "tests" / "test_shop.py").write_text(USER_TEST.format(
        cassette=demo, path=f"{recorded['path']}?{recorded['query']}", status=recorded["status"],
        body=recorded["response_body_text"]))
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    shutil.copy(SAMPLE_KEY, project / "replay.key")  # inside the project: pytest takes a path argument's folder as a root
    for runner in ([bin_(venv, "pytest")], [bin_(venv, "python"), "-m", "pytest"]):
        proc = run(*runner, "-q", "-p", "no:cacheprovider", "--tillroll-key-file", "replay.key", cwd=project,
                   check=False)
        assert proc.returncode == 0 and "2 passed" in proc.stdout, f"{runner}:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}"


# -- the sdist (last: it reinstalls tillroll in the same virtualenv) ------------------------------

def test_the_sdist_compiles_where_a_compiler_exists_and_falls_back_where_none_does(venv, dist, tmp_path):
    python = bin_(venv, "python")
    run(python, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", dist["sdist"], cwd=tmp_path)
    assert "capture: native" in run(bin_(venv, "tillroll"), "--version", cwd=tmp_path).stdout
    no_compiler = {**environment(), "CC": "/bin/false", "CXX": "/bin/false"}
    run(python, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", "--no-cache-dir", dist["sdist"],
        cwd=tmp_path, env=no_compiler)
    version = run(bin_(venv, "tillroll"), "--version", cwd=tmp_path).stdout
    assert "capture: pure Python" in version, version
    assert run(bin_(venv, "tillroll"), "schema", cwd=tmp_path).stdout.startswith("schema version")
