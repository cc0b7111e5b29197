"""Sigstore trust roots imported through TUF (`provenance trust import`), kept versioned in the
state directory, and read back as `imported:<repository>`.

Layout (directories 0700, files 0600)::

    <state>/trust/<repository>/bootstrap.root.json   the first trusted root of a repository
                                                      other than production/staging (given
                                                      once with --bootstrap-root)
    <state>/trust/<repository>/<n>/                  import n (1, 2, ...): the TUF files that
                                                      verified, as a repository layout, with
                                                      every root after the bootstrap one
    <state>/trust/<repository>/<n>/import.json       where from, when, staleness (for status)

Nothing here is trusted as it lies on disk: `newest_import` re-verifies the newest import's
files from the bootstrap root (production and staging: the root.json shipped inside the
installed sigstore package) with `verify_tuf_snapshot`, expiry aside (it was judged, and
recorded in the audit log, when it was imported). Whoever holds the disk cannot forge a trust
root without Sigstore's TUF keys; what they can do is delete the newest imports (a rollback to
an older genuine root), which the audit log's trust-import records show (`audit verify`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from provenance.errors import InputError, UsageError
from provenance.record._fs import ensure_directory, unique_name
from provenance.record.state import STATE_DIR_MODE, StateDir
from provenance.verification.sigstore.trust_root import EMBEDDED_ROOTS
from provenance.verification.sigstore.tuf_snapshot import (
    MAX_METADATA_BYTES,
    VerifiedSnapshot,
    verify_tuf_snapshot,
)

__all__ = [
    "TRUST_DIR",
    "StoredImport",
    "bootstrap_root",
    "import_numbers",
    "install_import",
    "newest_import",
    "repositories",
]

TRUST_DIR = "trust"
IMPORT_RECORD = "import.json"
BOOTSTRAP_FILE = "bootstrap.root.json"
# Repository names are path components and policy names (`imported:<name>`).
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
MAX_REPOSITORY_NAME = 64
_FILE_MODE = 0o600


@dataclass(frozen=True)
class StoredImport:
    number: int
    folder: Path
    verified: VerifiedSnapshot  # re-verified from the bootstrap root just now
    record: dict[str, Any]  # import.json: source, imported_at, stale_by_days (not trusted)


def check_repository_name(name: str) -> str:
    if not name or len(name) > MAX_REPOSITORY_NAME or not set(name) <= _NAME_CHARS:
        raise UsageError(
            f"trust repository {name!r}: expected lowercase letters, digits and '-', at most "
            f"{MAX_REPOSITORY_NAME} characters (production, staging, or a private instance's)"
        )
    return name


def _folder(state_root: Path, repository: str) -> Path:
    return state_root / TRUST_DIR / check_repository_name(repository)


def bootstrap_root(state_root: Path, repository: str) -> bytes | None:
    """The root a repository's imports start from: for production and staging, the one the
    installed sigstore package ships; otherwise the one given at the first import (None if
    there was none yet)."""
    embedded = EMBEDDED_ROOTS.get(f"embedded:{repository}")
    if embedded is not None:
        store = resources.files("sigstore") / "_store" / embedded
        try:
            return (store / "root.json").read_bytes()
        except OSError as exc:
            raise InputError(
                f"the installed sigstore package has no TUF root.json for {repository}"
            ) from exc
    path = _folder(state_root, repository) / BOOTSTRAP_FILE
    if not path.is_file():
        return None
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_METADATA_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_METADATA_BYTES:
        raise InputError(f"{path}: larger than {MAX_METADATA_BYTES} bytes")
    return data


def repositories(state_root: Path) -> list[str]:
    folder = state_root / TRUST_DIR
    if not folder.is_dir():
        return []
    return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())


def import_numbers(state_root: Path, repository: str) -> list[int]:
    folder = _folder(state_root, repository)
    if not folder.is_dir():
        return []
    return sorted(int(entry.name) for entry in folder.iterdir() if entry.name.isdigit())


def newest_import(state_root: Path, repository: str, *, now: datetime) -> StoredImport | None:
    """The newest import, re-verified from the bootstrap root; None if there is none. A
    stored import that no longer verifies is an error (exit 1), never skipped: falling back
    to an older root would be the rollback an attacker wants."""
    numbers = import_numbers(state_root, repository)
    if not numbers:
        return None
    bootstrap = bootstrap_root(state_root, repository)
    folder = _folder(state_root, repository) / str(numbers[-1])
    if bootstrap is None:
        raise InputError(f"{folder}: the repository's {BOOTSTRAP_FILE} is missing")
    verified = verify_tuf_snapshot(
        folder, trusted_root=bootstrap, baseline=None, now=now, check_expiry=False
    )
    try:
        record = json.loads(_read(folder / IMPORT_RECORD))
    except (InputError, ValueError):
        record = {}
    return StoredImport(numbers[-1], folder, verified, record if isinstance(record, dict) else {})


def install_import(
    state: StateDir,
    repository: str,
    verified: VerifiedSnapshot,
    *,
    previous: StoredImport | None,
    bootstrap: bytes,
    record: dict[str, Any],
) -> int:
    """Write the verified files as import n+1 (staged in tmp/, then renamed into place)."""
    folder = _folder(state.root, repository)
    ensure_directory(folder.parent, STATE_DIR_MODE)
    ensure_directory(folder, STATE_DIR_MODE)
    bootstrap_file = folder / BOOTSTRAP_FILE
    if f"embedded:{repository}" not in EMBEDDED_ROOTS and not bootstrap_file.exists():
        _write(bootstrap_file, bootstrap)
    number = (previous.number if previous else 0) + 1
    staged = state.tmp_dir / unique_name("trust-", "")
    ensure_directory(staged, STATE_DIR_MODE)
    try:
        if previous is not None:
            # The roots since the bootstrap one, so this import re-verifies on its own.
            for root_file in previous.folder.glob("*.root.json"):
                _write(staged / root_file.name, _read(root_file))
        for name, data in verified.files:
            target = staged / name
            ensure_directory(target.parent, STATE_DIR_MODE)
            _write(target, data)
        _write(staged / IMPORT_RECORD, json.dumps(record, indent=2, sort_keys=True).encode())
        os.rename(staged, folder / str(number))
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return number


def _write(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
