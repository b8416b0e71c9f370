"""Import HAR files, mitmproxy flow files, vcrpy, Ruby VCR and Betamax cassettes and Postman
collections into a cassette.

Every entry goes through :func:`~tillroll.capture.pipeline.capture`, the recording proxy's own
decoding and redaction, and gets the match key replay looks it up by. A file is imported
whole or not at all: its exchanges are written to a staging cassette inside the target
(invisible to readers) and moved in only when the file has been read to its end. A broken
entry is skipped and reported; a broken file (truncated, not JSON, a flow format this
mitmproxy cannot read, a YAML tag that would run code) leaves the cassette as it was, unless
``partial`` asks for the entries before the damage. A file that yields nothing (every entry
skipped, or none there) counts as not imported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import os
import shutil
import uuid
import zlib
from pathlib import Path
from typing import Callable, Iterator

from tillroll.store import parquet_files as pqf
from tillroll.capture import DEFAULT_MAX_BODY  # as the recording proxy's tillroll_max_body
from tillroll.capture import DEFAULT_POLICY, Policy
from tillroll.capture import RawExchange, Redactor
from tillroll.capture.scrub import scrub
from tillroll.store.objectstore import is_remote, local_dir, parse
from tillroll.store.remote import publish
from tillroll.store import init_cassette, open_writer
from . import formats
from .betamax import read_betamax
from .cassettes import NotACassette, Note, Skipped, load_document
from .har import BrokenEntry, read_har
from .har_bytes import NotSure, cut_har
from .json_stream import JsonStream, JsonStreamError
from .mitm import UnreadableFlows, read_flows
from .postman import read_postman
from .ruby_vcr import read_ruby_vcr
from .vcrpy import read_vcrpy
from .workers import BATCH, InProcess, Pool, WorkerFailed

CUT_HAR = True  # HAR entries handed to the capturers as bytes (False: every file read the standard way)
PARALLEL_FROM = 4 << 20  # bytes: smaller files are captured in this process (workers take a second to start)
_STAGING = ".import-"
_REASONS_KEPT = 20


class FileNotImported(Exception):
    """A file cannot be imported at all (one sentence, no content from it)."""


@dataclasses.dataclass
class FileResult:
    path: Path
    format: str | None = None
    imported: int = 0
    skipped: int = 0
    reasons: list[str] = dataclasses.field(default_factory=list)  # the first few skipped entries
    failed: str | None = None  # why the file as a whole was not imported
    kept_partial: bool = False
    notes: list[str] = dataclasses.field(default_factory=list)  # which times were used, what was unresolved

    def skip(self, index: int, why: str) -> None:
        self.skipped += 1
        if len(self.reasons) < _REASONS_KEPT:
            self.reasons.append(f"entry {index}: {why}" if index >= 0 else why)


@dataclasses.dataclass
class ImportSummary:
    cassette: Path
    files: list[FileResult]

    @property
    def imported(self) -> int:
        return sum(f.imported for f in self.files if f.failed is None or f.kept_partial)

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files)

    @property
    def failed_files(self) -> int:
        return sum(1 for f in self.files if f.failed is not None)

    def text(self) -> str:
        lines = [f"imported {self.imported:,} exchange(s) into {self.cassette}; skipped {self.skipped:,} "
                 f"entr{'y' if self.skipped == 1 else 'ies'}; {self.failed_files} file(s) not imported"]
        for f in self.files:
            if f.failed is not None:
                kept = f" (kept the {f.imported:,} exchange(s) before it: --partial)" if f.kept_partial else \
                    " (nothing imported from it)"
                lines.append(f"  {f.path}: {f.failed}{kept}")
            else:
                lines.append(f"  {f.path}: {f.format}, {f.imported:,} imported, {f.skipped:,} skipped")
            lines += [f"    note: {note}" for note in f.notes]
            lines += [f"    {why}" for why in f.reasons]
            if f.skipped > len(f.reasons):
                lines.append(f"    … and {f.skipped - len(f.reasons):,} more")
        return "\n".join(lines)


def import_files(paths: list[Path], cassette: Path | str, key: bytes, policy: Policy = DEFAULT_POLICY, *,
                 fmt: str | None = None, max_body: int = DEFAULT_MAX_BODY, partial: bool = False,
                 workers: int | None = None, environment: dict[str, str] | None = None,
                 progress: Callable[[Path, int, int], None] | None = None) -> ImportSummary:
    """Import *paths* into *cassette* (created when missing), redacting with *key* and
    *policy*. *fmt* forces a format (one of :data:`formats.FORMATS`) instead of detecting
    it; *workers* processes capture the entries of big files (default: one per core);
    *environment* holds Postman variables (a Postman environment's values); *progress* is
    called with ``(path, bytes read, file size)`` as the file is read."""
    remote = is_remote(cassette)
    # an s3:// cassette: files are staged on this machine and uploaded when a file is whole
    home = local_dir(parse(str(cassette)), "imports") if remote else Path(cassette)
    if remote:
        open_writer(str(cassette)).close()  # checks the bucket, writes its tillroll.json
        home.mkdir(parents=True, exist_ok=True)
    else:
        init_cassette(home)
    _remove_abandoned_staging(home)
    workers = workers or len(os.sched_getaffinity(0)) or 1  # the cores this process may use, not the machine's
    results = []
    source = _Source(dt.datetime.now(dt.timezone.utc), environment or {}, Redactor(key, policy))
    for path in paths:
        result = FileResult(Path(path))
        results.append(result)
        try:
            _import_file(result, cassette, home, key, policy, fmt, max_body, partial, workers, progress, source)
        except FileNotImported as exc:
            result.failed = str(exc)
        if result.failed is None and result.imported == 0:  # read to its end, yet nothing in it to keep
            result.failed = f"every one of its {result.skipped:,} entries was skipped" if result.skipped \
                else "holds no exchanges"
    return ImportSummary(cassette, results)


@dataclasses.dataclass(frozen=True)
class _Source:
    """What every file of one import shares: its start (the time of entries that carry none),
    the Postman variables given, and the redactor of the lines it prints."""
    now: dt.datetime
    environment: dict[str, str]
    redactor: Redactor


def _import_file(result: FileResult, cassette: Path | str, home: Path, key: bytes, policy: Policy, fmt: str | None,
                 max_body: int, partial: bool, workers: int, progress, source: _Source) -> None:
    path = result.path
    try:
        fo = formats.open_traffic(path)
    except OSError as exc:
        raise FileNotImported(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    with fo:
        try:
            result.format = fmt or formats.detect(fo, str(path))
        except formats.UnknownFormat as exc:
            raise FileNotImported(str(exc).removeprefix(f"{path} ")) from None
        args = (result, fo, cassette, home, key, policy, max_body, partial, workers, progress, source)
        if result.format == formats.HAR and CUT_HAR:
            try:
                return _import_cut_har(*args)
            except NotSure:  # the standard reader judges the file (and words what is wrong with it)
                fo.seek(0)
        _import_entries(*args)


def _sink(path: Path, cassette: Path | str, home: Path, key: bytes, policy: Policy, max_body: int,
          workers: int) -> tuple[Path, Pool | InProcess]:
    """A staging folder and what captures into it: worker processes for a big file."""
    staging = home / f"{_STAGING}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    name = parse(str(cassette)).name if is_remote(cassette) else Path(cassette).resolve().name
    big = formats.unpacked_size(path) >= PARALLEL_FROM
    sink = Pool(workers, staging, name, key, policy, max_body) if workers > 1 and big \
        else InProcess(staging, name, key, policy, max_body)
    return staging, sink


def _import_cut_har(result: FileResult, fo, cassette: Path | str, home: Path, key: bytes, policy: Policy,
                    max_body: int, partial: bool, workers: int, progress, source: _Source) -> None:
    """A HAR file cut into its entries' bytes here and decoded by the capturers. Raises
    :class:`NotSure` (before anything is committed or counted) when the standard reader must
    read it instead."""
    path, size = result.path, _size(result.path)
    staging, sink = _sink(path, cassette, home, key, policy, max_body, workers)
    committed = False
    try:
        on_read = None if progress is None else (lambda: progress(path, _position(fo), size))
        for entries in cut_har(fo, batch=BATCH, on_read=on_read):
            sink.submit(entries)
        if progress is not None:
            progress(path, size or 0, size)
        done = sink.finish()
        if done.unsure is not None:
            raise NotSure
        result.imported = done.stored
        for index, why in done.broken:  # as the standard reader skips them: in file order, first
            result.skip(index, why)
        for index, why in done.skipped:
            result.skip(index, why)
        _commit(staging, cassette)
        committed = True
    except WorkerFailed as exc:
        raise FileNotImported(str(exc)) from None
    finally:
        if not committed:
            sink.stop()
            shutil.rmtree(staging, ignore_errors=True)


def _import_entries(result: FileResult, fo, cassette: Path | str, home: Path, key: bytes, policy: Policy,
                    max_body: int, partial: bool, workers: int, progress, source: _Source) -> None:
    """A file read the standard way: entries decoded here, raw exchanges handed over."""
    path, size = result.path, _size(result.path)
    staging, sink = _sink(path, cassette, home, key, policy, max_body, workers)
    committed = False
    try:
        problem = None
        batch: list = []
        try:
            index = -1
            for item in _entries(fo, result.format, max_body, path, size, progress, source):
                if isinstance(item, Note):
                    result.notes.append(_printable(item, source.redactor))
                    continue
                index += 1
                if isinstance(item, Skipped):  # it names its entry: words its author wrote
                    result.skip(-1, _printable(item, source.redactor))
                    continue
                if isinstance(item, BrokenEntry):
                    result.skip(index, str(item))
                    continue
                batch.append((index, item))
                if len(batch) >= BATCH:
                    sink.submit(batch)
                    batch = []
        except (JsonStreamError, UnreadableFlows, NotACassette, EOFError, OSError, zlib.error) as exc:
            problem = _file_problem(exc)
        if batch:  # the last entries, or those read before the damage
            sink.submit(batch)
        done = sink.finish()
        result.imported = done.stored
        for index, why in done.skipped:
            result.skip(index, why)
        if problem is not None:
            if partial and result.imported:
                _commit(staging, cassette)
                committed = result.kept_partial = True
            raise FileNotImported(problem)
        _commit(staging, cassette)
        committed = True
    except WorkerFailed as exc:
        raise FileNotImported(str(exc)) from None
    finally:
        if not committed:
            sink.stop()
            shutil.rmtree(staging, ignore_errors=True)


def _entries(fo, fmt: str, max_body: int, path: Path, size: int | None, progress,
             source: _Source) -> Iterator[RawExchange | BrokenEntry | Note]:
    if fmt == formats.HAR:
        for n, item in enumerate(read_har(JsonStream(fo), max_body=max_body)):
            if progress is not None and n % 256 == 0:
                progress(path, _position(fo), size)
            yield item
    elif fmt == formats.MITM:
        for n, item in enumerate(read_flows(fo, max_body=max_body)):
            if progress is not None and n % 256 == 0:
                progress(path, _position(fo), size)
            yield item
    elif fmt in formats.CASSETTES:
        doc = load_document(fo)  # test cassettes are small: read whole
        try:
            if fmt == formats.POSTMAN:
                yield from read_postman(doc, max_body=max_body, now=source.now, environment=source.environment)
            else:
                read = {formats.VCRPY: read_vcrpy, formats.RUBY_VCR: read_ruby_vcr,
                        formats.BETAMAX: read_betamax}[fmt]
                yield from read(doc, max_body=max_body, now=source.now)
        except RecursionError:  # folders in folders, deeper than any collection is written
            raise NotACassette("is nested deeper than tillroll reads") from None
    else:
        raise FileNotImported(f"unknown format {fmt!r}: use one of {', '.join(formats.FORMATS)}")
    if progress is not None:
        progress(path, size or 0, size)


def _printable(text: Exception | str, redactor: Redactor) -> str:
    """A line naming an entry by what its file calls it (a Postman request, a variable), made fit
    to print: request data elided, detected secrets redacted, as any free text."""
    return scrub(str(text), redactor.start())


def _file_problem(exc: BaseException) -> str:
    if isinstance(exc, NotACassette):
        return str(exc)
    if isinstance(exc, JsonStreamError) and exc.truncated:
        return f"is truncated: {exc}"
    if isinstance(exc, EOFError):  # gzip
        return "is truncated (the compressed stream ends early)"
    if isinstance(exc, (zlib.error, gzip.BadGzipFile)):
        return "is a damaged gzip file (its compressed data does not decode or check out)"
    if isinstance(exc, OSError):
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    return f"cannot be read: {exc}"


def _commit(staging: Path, cassette: Path | str) -> None:
    """Move the staged Parquet files into the cassette: each move is an atomic rename (on
    object storage, one upload each)."""
    if is_remote(cassette):
        publish(str(cassette), staging, pqf.list_parquet(staging))
        shutil.rmtree(staging, ignore_errors=True)
        return
    for src in pqf.list_parquet(staging):
        dest = cassette / src.relative_to(staging)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
        pqf.fsync_path(dest.parent)
    shutil.rmtree(staging, ignore_errors=True)


def _remove_abandoned_staging(cassette: Path) -> None:
    """Staging folders of imports whose process is gone (killed mid-file)."""
    for folder in cassette.glob(f"{_STAGING}*"):
        try:
            pid = int(folder.name[len(_STAGING):].split("-", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, PermissionError):
            continue


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _position(fo) -> int:
    try:
        raw = getattr(fo, "fileobj", None) or fo  # a gzip file: the compressed position
        return raw.tell()
    except (OSError, ValueError):
        return 0
