"""Cassettes on S3-compatible object storage: ``s3://bucket/prefix/cassette``.

The layout is the same as on disk (``date=YYYY-MM-DD/part-<id>.parquet`` under the
prefix, and ``tillroll.json``), and every object is immutable once written, under a name
no other writer can pick. So:

* **Writing** stages write-ahead segments on local disk, exactly as a local cassette
  does, and uploads each Parquet file when its segment is rolled (one PUT: a reader sees
  the whole object or nothing). A crash loses nothing flushed: the next writer or reader
  started on the same machine rolls and uploads what the crashed one left staged.
* **Reading** keeps a local mirror of the cassette's Parquet files (by name; a file is
  downloaded once) and reads that with the ordinary code, DuckDB included.
* **Compaction** merges on the mirror, uploads the merged file, and only then deletes
  its inputs: duplicates at worst, dropped by ``exchange_id`` on read, never a loss.

Credentials come from the AWS SDK's usual chain (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``, ``AWS_PROFILE`` and the config files,
an instance role); ``AWS_ENDPOINT_URL`` (or ``AWS_ENDPOINT_URL_S3``) points at another
S3-compatible service. tillroll never stores them, and scrubs them from its messages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import urllib.parse
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

SCHEME = "s3://"
_PART = re.compile(r"^date=\d{4}-\d{2}-\d{2}/[^/.][^/]*\.parquet$")
_CHUNK = 8 << 20


class ObjectStoreError(Exception):
    """Object storage said no: one sentence, without credentials."""


def is_remote(location: str | os.PathLike) -> bool:
    return str(location).startswith(SCHEME)


@dataclasses.dataclass(frozen=True)
class RemoteCassette:
    url: str
    bucket: str
    prefix: str  # the cassette's key prefix, without a trailing slash

    @property
    def name(self) -> str:
        return self.prefix.rsplit("/", 1)[-1]

    def key(self, relative: str) -> str:
        return f"{self.bucket}/{self.prefix}/{relative}"


def parse(url: str) -> RemoteCassette:
    """``s3://bucket/prefix/cassette`` -> its parts. Raises :class:`ObjectStoreError`."""
    parts = urllib.parse.urlsplit(str(url))
    prefix = parts.path.strip("/")
    if parts.scheme != "s3" or not parts.netloc:
        raise ObjectStoreError(f"{url} is not an s3:// URL: write s3://bucket/prefix/cassette")
    if parts.username or parts.password or parts.query:
        raise ObjectStoreError("put credentials in the AWS environment variables or a profile, never in the URL")
    if not prefix:
        raise ObjectStoreError(f"{url} names a bucket, not a cassette: add a prefix, e.g. {url.rstrip('/')}/live")
    return RemoteCassette(f"{SCHEME}{parts.netloc}/{prefix}", parts.netloc, prefix)


def filesystem() -> pafs.S3FileSystem:
    """pyarrow's S3 client, configured from the environment the AWS tools use."""
    kwargs: dict = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urllib.parse.urlsplit(endpoint)
        kwargs.update(endpoint_override=parts.netloc or parts.path, scheme=parts.scheme or "https")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region or endpoint:
        kwargs["region"] = region or "us-east-1"  # a custom endpoint has no region to look up
    return pafs.S3FileSystem(**kwargs)


def scrub(text: str) -> str:
    """*text* without any credential of the environment in it."""
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"):
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


def _fail(what: str, exc: BaseException) -> ObjectStoreError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return ObjectStoreError(scrub(f"{what}: {first[:300]}"))


# -- listing, reading, writing objects ------------------------------------------------------------

def _objects(rc: RemoteCassette, fs: pafs.FileSystem) -> dict[str, int]:
    """Every object under the cassette's prefix: ``{relative path: size}``."""
    base = f"{rc.bucket}/{rc.prefix}"
    try:
        infos = fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
    except (OSError, pa.ArrowException) as exc:
        raise _fail(f"cannot list {rc.url}", exc) from None
    return {info.path[len(base) + 1:]: info.size for info in infos if info.type == pafs.FileType.File}


def list_parts(rc: RemoteCassette, fs: pafs.FileSystem) -> dict[str, int]:
    """The cassette's Parquet objects: ``{relative path: size}``."""
    return {relative: size for relative, size in _objects(rc, fs).items() if _PART.match(relative)}


def list_names(rc: RemoteCassette, fs: pafs.FileSystem, most: int = 10_000) -> tuple[list[str], bool]:
    """The names of every object under the cassette's prefix (relative), at most *most*;
    and whether there were more."""
    names = list(_objects(rc, fs))
    return names[:most], len(names) > most


def read_text(rc: RemoteCassette, fs: pafs.FileSystem, relative: str, most: int = 65_536) -> str | None:
    """The first *most* bytes of a small object as text; None when there is no such object."""
    try:
        with fs.open_input_stream(rc.key(relative)) as src:
            return src.read(most).decode("utf-8", "replace")
    except FileNotFoundError:
        return None
    except (OSError, pa.ArrowException) as exc:
        if fs.get_file_info(rc.key(relative)).type == pafs.FileType.NotFound:
            return None
        raise _fail(f"cannot read {relative} of {rc.url}", exc) from None


def exists(rc: RemoteCassette, fs: pafs.FileSystem, relative: str) -> bool:
    try:
        return fs.get_file_info(rc.key(relative)).type == pafs.FileType.File
    except (OSError, pa.ArrowException) as exc:
        raise _fail(f"cannot read {rc.url}", exc) from None


def upload(rc: RemoteCassette, fs: pafs.FileSystem, local: Path, relative: str) -> None:
    """Put *local* at *relative* under the cassette (one object: all or nothing)."""
    try:
        with open(local, "rb") as src, fs.open_output_stream(rc.key(relative)) as dst:
            while chunk := src.read(_CHUNK):
                dst.write(chunk)
    except (OSError, pa.ArrowException) as exc:
        raise _fail(f"cannot upload {relative} to {rc.url}", exc) from None


def put_text(rc: RemoteCassette, fs: pafs.FileSystem, relative: str, text: str) -> None:
    try:
        with fs.open_output_stream(rc.key(relative)) as dst:
            dst.write(text.encode())
    except (OSError, pa.ArrowException) as exc:
        raise _fail(f"cannot write {relative} to {rc.url}", exc) from None


def download(rc: RemoteCassette, fs: pafs.FileSystem, relative: str, local: Path) -> None:
    """Fetch *relative* to *local*, via a temporary name: a local file is always whole."""
    local.parent.mkdir(parents=True, exist_ok=True)
    tmp = local.with_name(f".{local.name}.{os.getpid()}.download")
    try:
        with fs.open_input_stream(rc.key(relative)) as src, open(tmp, "wb") as dst:
            while chunk := src.read(_CHUNK):
                dst.write(chunk)
        os.replace(tmp, local)
    except FileNotFoundError:
        tmp.unlink(missing_ok=True)
        raise
    except (OSError, pa.ArrowException) as exc:
        tmp.unlink(missing_ok=True)
        raise _fail(f"cannot download {relative} from {rc.url}", exc) from None


def delete(rc: RemoteCassette, fs: pafs.FileSystem, relative: str) -> None:
    try:
        fs.delete_file(rc.key(relative))
    except FileNotFoundError:
        pass
    except (OSError, pa.ArrowException) as exc:
        raise _fail(f"cannot delete {relative} from {rc.url}", exc) from None


# -- local places -----------------------------------------------------------------------------

def local_dir(rc: RemoteCassette, kind: str) -> Path:
    """Where this machine keeps its *kind* (``mirror`` or ``staging``) of the cassette."""
    base = os.environ.get("TILLROLL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "tillroll")
    digest = hashlib.sha256(rc.url.encode()).hexdigest()[:12]
    return Path(base) / kind / rc.bucket / f"{rc.prefix.replace('/', '_')}-{digest}"
