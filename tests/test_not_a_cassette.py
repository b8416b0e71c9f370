"""A folder tillroll did not create is never touched: every command, walked over every kind
of path that is not a cassette, says so in one line, exits non-zero and leaves every byte
where it was. A real cassette with a foreign Parquet file inside gets one line naming that
file; only `tillroll info` sets it aside (into the cassette's own quarantine/)."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tillroll.cli import main

from .tillroll.store.test_remote import BUCKET, objects, s3  # noqa: F401  (a real S3 server on loopback)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "cassettes" / "pos-day"
KEY = REPO / "cassettes" / "sample.key"
TILLROLL = Path(sys.executable).with_name("tillroll")
CLOSED = "http://127.0.0.1:9"  # nothing is sent: every command must stop before that

# Every command that reads a cassette, with the cassette as C.
READERS = {
    "info": ["info", "C"],
    "compact": ["compact", "C"],
    "check": ["check", "C"],
    "query": ["query", "SELECT count(*) FROM exchanges", "C"],
    "report": ["report", "usage", "C"],
    "shell": ["shell", "C"],
    "diff-schema": ["diff-schema", str(SAMPLE), "C"],
    "replay": ["replay", "C", "--port", "0", "--key-file", str(KEY)],
    "export": ["export", "C", "OUT", "--format", "har"],
    "send": ["send", "C", "--to", CLOSED, "--dry-run", "--key-file", str(KEY)],
    "verify": ["verify", "C", "--to", CLOSED, "--dry-run", "--key-file", str(KEY)],
    "html": ["html", "C", "-o", "OUT"],
}
# Every command that creates (or appends to) a cassette at C.
WRITERS = {
    "record": ["record", "C", "--listen-host", "127.0.0.1", "-q"],
    "import": ["import", "HAR", "--cassette", "C", "--key-file", str(KEY)],
    "demo": ["demo", "--cassette", "C", "--key-file", str(KEY)],
    "send --record-to": ["send", str(SAMPLE), "--to", CLOSED, "--dry-run", "--key-file", str(KEY), "--record-to", "C"],
}
TAKES_NO_CASSETTE = {"schema", "sandbox", "addon-path"}

NOT_A_CASSETTE = "is not a tillroll cassette (no tillroll.json)"


def test_the_walk_covers_every_command():
    with click.Context(main) as ctx:
        commands = set(main.list_commands(ctx))
    walked = {name.split()[0] for name in (*READERS, *WRITERS)}
    assert commands == walked | TAKES_NO_CASSETTE, "a new command must join the walk (or say it takes no cassette)"


# -- the places ---------------------------------------------------------------------------------

def foreign_folder(root: Path) -> Path:
    """A user's folder that happens to hold a hive-partitioned Parquet file and a README."""
    (root / "date=2026-01-01").mkdir(parents=True)
    pq.write_table(pa.table({"date_sold": ["2026-01-01"], "total": [12.5]}),
                   root / "date=2026-01-01" / "part-0.parquet")
    (root / "README.txt").write_text("my own data, not tillroll's\n")
    return root


def fingerprint(root: Path) -> dict[str, str]:
    """Every file and folder under *root*: a folder by its name, a file by its bytes' hash."""
    return {str(p.relative_to(root)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))}


def cassette_with_foreign_file(root: Path) -> Path:
    shutil.copytree(SAMPLE, root)
    [partition] = [p for p in root.iterdir() if p.name.startswith("date=")]
    pq.write_table(pa.table({"x": [1, 2]}), partition / "part-zz-foreign.parquet")
    return partition / "part-zz-foreign.parquet"


def har(tmp_path: Path) -> Path:
    entry = {"startedDateTime": "2026-11-20T09:00:00.000Z", "time": 5,
             "request": {"method": "GET", "url": "http://api.example.com/ping", "httpVersion": "HTTP/1.1",
                         "headers": [], "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
             "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [],
                          "cookies": [], "content": {"size": 2, "mimeType": "text/plain", "text": "ok"},
                          "redirectURL": "", "headersSize": -1, "bodySize": 2},
             "cache": {}, "timings": {"send": 1, "wait": 3, "receive": 1}}
    path = tmp_path / "one.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
                                        "entries": [entry]}}))
    return path


def run(template: list[str], cassette: str, tmp_path: Path) -> tuple[int, list[str]]:
    args = [{"C": cassette, "OUT": str(tmp_path / "out.har")}.get(a, a) for a in template]
    args = [str(har(tmp_path)) if a == "HAR" else a for a in args]
    if args[0] == "record":  # a proxy that wrongly started would serve forever: its own process, bounded
        proc = subprocess.run([str(TILLROLL), *args], capture_output=True, text=True, timeout=60, env=os.environ)
        return proc.returncode, [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    result = CliRunner().invoke(main, args, input="")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


def refused_in_one_line(code: int, lines: list[str], *says: str) -> None:
    assert code == 1, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ") and "Traceback" not in lines[0], lines
    for said in says:
        assert said in lines[0], lines


# -- readers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", READERS)
def test_a_missing_path_a_file_and_an_empty_folder_are_refused(command, tmp_path):
    (tmp_path / "a-file.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    for place, why in (("missing", "nothing is there"), ("a-file.txt", "it is a file"),
                       ("empty", "it is an empty folder")):
        before = fingerprint(tmp_path)
        refused_in_one_line(*run(READERS[command], str(tmp_path / place), tmp_path),
                            f"{tmp_path / place} {NOT_A_CASSETTE}: {why}")
        assert fingerprint(tmp_path) == before


@pytest.mark.parametrize("command", READERS)
def test_a_foreign_folder_is_refused_and_not_one_byte_of_it_changes(command, tmp_path):
    folder = foreign_folder(tmp_path / "mine")
    before = fingerprint(folder)
    refused_in_one_line(*run(READERS[command], str(folder), tmp_path),
                        f"{folder} {NOT_A_CASSETTE}: it holds 1 Parquet file and README.txt: "
                        "was it written by another tool?")
    assert fingerprint(folder) == before


@pytest.mark.parametrize("command", READERS)
def test_a_foreign_parquet_file_inside_a_cassette_is_named_with_the_fix(command, tmp_path):
    cassette = tmp_path / "day"
    foreign = cassette_with_foreign_file(cassette)
    code, lines = run(READERS[command], str(cassette), tmp_path)
    named = f"cannot read {foreign.relative_to(cassette)} in cassette {cassette}"
    if command == "info":  # the one command that sets such a file aside, into the cassette's quarantine/
        assert code == 1 and any(line.startswith("note: quarantined ") and "did not write" in line for line in lines)
        assert lines[-1] == f"Error: 1 file(s) of {cassette} could not be read and were moved to its quarantine/ " \
                            "folder (see the notes above)"
        assert not foreign.exists() and len(list((cassette / "quarantine").iterdir())) == 1
        return
    before = fingerprint(cassette)
    refused_in_one_line(code, lines, named, "a Parquet file that tillroll did not write",
                        f"`tillroll info {cassette}` moves it to the cassette's quarantine/ folder")
    after = fingerprint(cassette)
    after.pop(".compact.lock", None)  # compaction's own lock inside the cassette
    before.pop(".compact.lock", None)
    assert after == before


@pytest.mark.parametrize("command", READERS)
def test_an_s3_prefix_without_tillroll_json_is_refused_and_left_alone(command, tmp_path, s3):  # noqa: F811
    prefix = f"exports/{tmp_path.name}"  # moto keeps its buckets for the whole process
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/date=2026-01-01/part-0.parquet",
                  Body=(foreign_folder(tmp_path / "src") / "date=2026-01-01" / "part-0.parquet").read_bytes())
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/README.txt", Body=b"not tillroll's")
    before = objects(s3, "")
    url = f"s3://{BUCKET}/{prefix}"
    refused_in_one_line(*run(READERS[command], url, tmp_path),
                        f"{url} {NOT_A_CASSETTE}: it holds 1 Parquet file and README.txt: "
                        "was it written by another tool?")
    assert objects(s3, "") == before


# -- writers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", WRITERS)
def test_creating_a_cassette_never_adopts_a_foreign_folder(command, tmp_path):
    folder = foreign_folder(tmp_path / "mine")
    before = fingerprint(folder)
    refused_in_one_line(*run(WRITERS[command], str(folder), tmp_path),
                        f"{folder} {NOT_A_CASSETTE} and not empty: it holds 1 Parquet file and README.txt",
                        "choose a new folder")
    assert fingerprint(folder) == before
    (tmp_path / "a-file.txt").write_text("x")
    refused_in_one_line(*run(WRITERS[command], str(tmp_path / "a-file.txt"), tmp_path),
                        "is a file, and a cassette is a folder")
    assert (tmp_path / "a-file.txt").read_text() == "x"


@pytest.mark.parametrize("command", [name for name in WRITERS if name != "demo"])  # the demo writes a local folder
def test_creating_a_cassette_never_adopts_a_foreign_s3_prefix(command, tmp_path, s3):  # noqa: F811
    prefix = f"exports/{tmp_path.name}"
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/README.txt", Body=b"not tillroll's")
    before = objects(s3, "")
    url = f"s3://{BUCKET}/{prefix}"
    refused_in_one_line(*run(WRITERS[command], url, tmp_path), f"{url} {NOT_A_CASSETTE}: it holds README.txt",
                        "choose a new one")
    assert objects(s3, "") == before


def test_import_creates_a_cassette_in_a_new_path_or_an_empty_folder_and_appends_to_one(tmp_path):
    (tmp_path / "empty").mkdir()
    for place in ("new", "empty", "new"):  # the second "new" is a cassette by then: appended to
        code, lines = run(WRITERS["import"], str(tmp_path / place), tmp_path)
        assert code == 0, lines
    assert (tmp_path / "empty" / "tillroll.json").is_file()
    code, lines = run(["query", "SELECT count(*) AS n FROM exchanges", "C", "--format", "csv"], str(tmp_path / "new"),
                      tmp_path)
    assert code == 0 and lines[-1] == "2", lines


def test_the_demo_replaces_only_a_cassette_it_wrote(tmp_path):
    cassette = tmp_path / "day"
    shutil.copytree(SAMPLE, cassette)
    before = fingerprint(cassette)
    refused_in_one_line(*run(WRITERS["demo"], str(cassette), tmp_path),
                        f"{cassette} is a cassette the demo did not write", "choose another folder")
    assert fingerprint(cassette) == before

