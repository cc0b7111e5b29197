"""`provenance trust fetch --online DIR`: on a connected machine, download a Sigstore TUF
repository snapshot to carry to an air-gapped site (the only command here that goes online
for trust material).

1. The base URL is https (http only to a loopback address, for tests); DIR must not exist.
2. Download, each with a timeout and a size limit: `N.root.json` from the bootstrap root's
   version + 1 until the repository answers 404, `timestamp.json`, the snapshot and targets
   it names, and the `trusted_root.json` target.
3. Verify what was downloaded exactly as `trust import` will (`verify_tuf_snapshot`, from
   the bootstrap root, at this machine's clock): nothing that does not verify is written.
4. Rename the staging folder to DIR.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import requests
from tuf.api.exceptions import RepositoryError
from tuf.api.metadata import Metadata, Snapshot, Targets, Timestamp
from tuf.api.serialization import DeserializationError

from provenance.clock import Clock, utc_now
from provenance.errors import InputError, UsageError
from provenance.record.state import resolve_state_dir
from provenance.record.trust_store import bootstrap_root, check_repository_name
from provenance.verification.sigstore.tuf_snapshot import (
    MAX_METADATA_BYTES,
    MAX_ROOT_ROTATIONS,
    MAX_TRUSTED_ROOT_BYTES,
    TRUSTED_ROOT_TARGET,
    TufRefused,
    VerifiedSnapshot,
    verify_tuf_snapshot,
)

__all__ = ["CONNECT_TIMEOUT_SECONDS", "READ_TIMEOUT_SECONDS", "REPOSITORY_URLS", "trust_fetch"]

REPOSITORY_URLS = {
    "production": "https://tuf-repo-cdn.sigstore.dev",
    "staging": "https://tuf-repo-cdn.sigstage.dev",
}
CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 30.0
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def trust_fetch(
    directory: Path,
    *,
    repository: str = "production",
    base_url: str | None = None,
    state_dir: Path | None = None,
    clock: Clock = utc_now,
) -> VerifiedSnapshot:
    # 1.
    check_repository_name(repository)
    url = base_url or REPOSITORY_URLS.get(repository)
    if url is None:
        raise UsageError(f"trust fetch: no known URL for {repository!r}; give --base-url")
    parts = urlsplit(url)
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)):
        raise UsageError(f"trust fetch: {url!r}: expected https:// (http:// only to loopback)")
    if directory.exists():
        raise UsageError(f"{directory}: already exists; expected a new folder to write")
    bootstrap = bootstrap_root(resolve_state_dir(state_dir), repository)
    if bootstrap is None:
        raise UsageError(f"trust fetch: no bootstrap root for {repository!r}")
    staging = Path(tempfile.mkdtemp(prefix=".trust-fetch-", dir=directory.absolute().parent))
    try:
        with requests.Session() as http:
            # 2.
            _download(http, url.rstrip("/"), staging, bootstrap)
        # 3.
        verified = verify_tuf_snapshot(staging, trusted_root=bootstrap, baseline=None, now=clock())
        # 4.
        staging.rename(directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return verified


def _get(http: requests.Session, url: str, limit: int, *, optional: bool = False) -> bytes | None:
    try:
        response = http.get(
            url, timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS), stream=True
        )
        if optional and response.status_code in (403, 404):
            return None
        if response.status_code != 200:
            raise InputError(f"trust fetch: {url}: HTTP {response.status_code}; expected 200")
        data = response.raw.read(limit + 1, decode_content=True)
    except requests.RequestException as exc:
        raise InputError(f"trust fetch: {url}: {type(exc).__name__}: {exc}") from exc
    if len(data) > limit:
        raise InputError(f"trust fetch: {url}: larger than {limit} bytes")
    return bytes(data)


def _download(http: requests.Session, base: str, folder: Path, bootstrap: bytes) -> None:
    """Fetch the files; their content is parsed only to learn the next names (unverified:
    step 3 verifies everything before anything is kept)."""
    try:
        version = Metadata.from_bytes(bootstrap).signed.version
        for _ in range(MAX_ROOT_ROTATIONS):
            version += 1
            data = _get(http, f"{base}/{version}.root.json", MAX_METADATA_BYTES, optional=True)
            if data is None:
                break
            (folder / f"{version}.root.json").write_bytes(data)
        timestamp = _required(http, f"{base}/timestamp.json", folder / "timestamp.json")
        signed_ts = Metadata[Timestamp].from_bytes(timestamp).signed
        snapshot_name = f"{signed_ts.snapshot_meta.version}.snapshot.json"
        snapshot = _required(http, f"{base}/{snapshot_name}", folder / snapshot_name)
        meta = Metadata[Snapshot].from_bytes(snapshot).signed.meta["targets.json"]
        targets_name = f"{meta.version}.targets.json"
        targets = _required(http, f"{base}/{targets_name}", folder / targets_name)
        target = Metadata[Targets].from_bytes(targets).signed.targets[TRUSTED_ROOT_TARGET]
    except (DeserializationError, RepositoryError, KeyError, AttributeError) as exc:
        raise TufRefused(f"trust fetch: {base}: unexpected metadata: {exc}") from exc
    (folder / "targets").mkdir()
    name = f"{target.hashes['sha256']}.{TRUSTED_ROOT_TARGET}"
    data = _get(http, f"{base}/targets/{name}", MAX_TRUSTED_ROOT_BYTES)
    (folder / "targets" / name).write_bytes(data or b"")


def _required(http: requests.Session, url: str, path: Path) -> bytes:
    data = _get(http, url, MAX_METADATA_BYTES) or b""
    path.write_bytes(data)
    return data
