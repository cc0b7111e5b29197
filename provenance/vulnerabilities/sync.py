"""`provenance vulndb sync --online`: download OSV `all.zip` exports, then import them.

The only online path of the vulnerability database, and explicit (`--online`). OSV exports are
not signed; what can be checked is transport (HTTPS) and integrity against truncation and
corruption: the length the server announces and, where offered, the MD5 that Google Cloud
Storage sends in `x-goog-hash` (an integrity check, not an authenticity one).

Algorithm (`sync_online`), per ecosystem:
1. URL `<base>/<ecosystem>/all.zip`; the base must be https (http only to a loopback address,
   for tests and local mirrors).
2. Download into `<state>/vulndb-downloads/<ecosystem>.zip.part`: resume a partial file with
   `Range: bytes=N-` (a 206 must start at N; a 200 restarts from zero), stream in chunks,
   refuse more than `MAX_DOWNLOAD_BYTES`, time out each connect/read.
3. Connection errors, timeouts, a body shorter than announced and 5xx answers are retried
   (resuming) up to `RETRIES` times with a growing pause; 4xx answers are not.
4. Check the MD5 when offered; on a mismatch delete the file and fail.
5. Rename to `<ecosystem>-all.zip`, then import every downloaded zip in one transaction
   (`importer.import_paths`).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests

from provenance.errors import InputError
from provenance.vulnerabilities.importer import ImportResult, import_paths

__all__ = [
    "DEFAULT_ECOSYSTEMS",
    "MAX_DOWNLOAD_BYTES",
    "OSV_EXPORT_BASE",
    "Download",
    "SyncResult",
    "sync_online",
]

OSV_EXPORT_BASE = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_ECOSYSTEMS = ("PyPI", "Go", "crates.io")
# The largest OSV ecosystem exports (Debian, Ubuntu) are a few hundred MB compressed.
MAX_DOWNLOAD_BYTES = 2 * 1024 * 1024 * 1024
CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 60.0
RETRIES = 3
RETRY_PAUSE_SECONDS = 1.0
# Bytes kept from a cut connection are whole chunks: small enough to lose little.
CHUNK_BYTES = 64 * 1024
DOWNLOAD_DIR = "vulndb-downloads"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Download:
    ecosystem: str
    url: str
    path: Path
    size: int
    attempts: int
    resumed: bool  # some bytes came from an earlier, interrupted attempt
    checksum: str  # "md5 verified" or "none offered"


@dataclass(frozen=True)
class SyncResult:
    downloads: tuple[Download, ...]
    imported: ImportResult


class _Retry(Exception):
    pass


def sync_online(
    state_dir: Path,
    *,
    now: datetime,
    ecosystems: Sequence[str] = DEFAULT_ECOSYSTEMS,
    base_url: str = OSV_EXPORT_BASE,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncResult:
    """Download and import; raises `InputError` when a download fails (nothing imported)."""
    _check_base(base_url)
    folder = state_dir.expanduser().absolute() / DOWNLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    http = session or requests.Session()
    downloads = [
        _download(http, f"{base_url.rstrip('/')}/{quote(eco)}/all.zip", eco, folder, sleep)
        for eco in ecosystems
    ]
    imported = import_paths([d.path for d in downloads], state_dir=state_dir, now=now)
    return SyncResult(tuple(downloads), imported)


def _check_base(base_url: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return
    raise InputError(
        f"sync: base URL {base_url!r}: expected https:// (http:// only to a loopback address)"
    )


def _download(
    http: requests.Session, url: str, ecosystem: str, folder: Path, sleep: Callable[[float], None]
) -> Download:
    part = folder / f"{_file_name(ecosystem)}.zip.part"
    resumed = part.exists() and part.stat().st_size > 0
    last_error = ""
    for attempt in range(1, RETRIES + 2):
        try:
            md5 = _fetch(http, url, part)
        except _Retry as exc:
            last_error = str(exc)
            if attempt <= RETRIES:
                resumed = resumed or (part.exists() and part.stat().st_size > 0)
                sleep(RETRY_PAUSE_SECONDS * attempt)
            continue
        # 4. Checksum.
        checksum = "none offered"
        if md5 is not None:
            actual = _md5(part)
            if actual != md5:
                part.unlink()
                raise InputError(
                    f"sync: {url}: MD5 mismatch: expected {md5.hex()} (x-goog-hash), got "
                    f"{actual.hex()}; the download was deleted"
                )
            checksum = "md5 verified"
        # 5. Keep it under its final name.
        final = folder / f"{_file_name(ecosystem)}-all.zip"
        part.replace(final)
        return Download(ecosystem, url, final, final.stat().st_size, attempt, resumed, checksum)
    raise InputError(
        f"sync: {url}: download failed after {RETRIES + 1} attempts ({last_error}); expected "
        "the OSV export to be reachable; the partial file is kept and resumed next time"
    )


def _fetch(http: requests.Session, url: str, part: Path) -> bytes | None:
    """One attempt (steps 2-3); returns the MD5 the server offered, if any."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        response = http.get(
            url,
            headers=headers,
            stream=True,
            timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
            allow_redirects=False,
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _Retry(f"connection failed: {exc}") from exc
    with response:
        if response.status_code == 416 and have:
            part.unlink()  # the partial file does not fit the object any more: start over
            raise _Retry("range not satisfiable, restarting")
        if response.status_code >= 500:
            raise _Retry(f"HTTP {response.status_code}")
        if response.status_code not in (200, 206):
            raise InputError(
                f"sync: {url}: HTTP {response.status_code}; expected 200 with the OSV export"
            )
        if response.status_code == 206:
            start = _range_start(response.headers.get("Content-Range", ""))
            if start != have:
                part.unlink()
                raise _Retry(f"server resumed at byte {start}, expected {have}; restarting")
            mode = "ab"
        else:
            have, mode = 0, "wb"
        _stream(response, url, part, have, mode)
        return _offered_md5(response.headers.get("x-goog-hash", ""))


def _stream(response: requests.Response, url: str, part: Path, have: int, mode: str) -> None:
    """The body into `part` (appended after `have` bytes, or from zero), within the cap."""
    announced = response.headers.get("Content-Length")
    expected_total = have + int(announced) if announced and announced.isdigit() else None
    if expected_total is not None and expected_total > MAX_DOWNLOAD_BYTES:
        raise InputError(
            f"sync: {url}: {expected_total} bytes announced; expected at most {MAX_DOWNLOAD_BYTES}"
        )
    received = have
    try:
        with part.open(mode) as handle:
            for chunk in response.iter_content(CHUNK_BYTES):
                received += len(chunk)
                if received > MAX_DOWNLOAD_BYTES:
                    raise InputError(
                        f"sync: {url}: more than {MAX_DOWNLOAD_BYTES} bytes; expected less"
                    )
                handle.write(chunk)
    except (
        requests.ConnectionError,
        requests.Timeout,
        requests.exceptions.ChunkedEncodingError,
    ) as exc:
        raise _Retry(f"interrupted after {received} bytes: {exc}") from exc
    if expected_total is not None and received < expected_total:
        raise _Retry(f"body ended at {received} of {expected_total} bytes")


def _range_start(content_range: str) -> int | None:
    # "bytes 100-199/200"
    unit, _, rest = content_range.partition(" ")
    start = rest.partition("-")[0]
    return int(start) if unit == "bytes" and start.isdigit() else None


def _offered_md5(header: str) -> bytes | None:
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "md5":
            try:
                digest = base64.b64decode(value, validate=True)
            except ValueError:
                return None
            return digest if len(digest) == 16 else None
    return None


def _md5(path: Path) -> bytes:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.digest()


def _file_name(ecosystem: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in ecosystem)
