"""The approved store: artifacts kept by SHA-256, copied and hashed in one pass.

Why stage first: the gate must keep exactly the bytes it verified. Hashing the source, verifying
signatures against that hash and copying the source afterwards would leave a window in which the
file can be swapped (a time-of-check/time-of-use race, CWE-367). Instead:

1. `stage_copy` reads the source once, in fixed-size chunks, writing each chunk to a new private
   file in `tmp/` and feeding it to SHA-256 in the same pass; then fsyncs the copy and makes it
   read-only. `StagedArtifact.sha256` is the digest of the bytes now held in the staged copy.
2. The caller verifies signatures and decides against `StagedArtifact.sha256`, not against a
   digest of the source taken at another moment. Whatever happens to the source afterwards, the
   staged copy is what was verified.
3. `commit` renames the staged copy into `store/sha256/<first two hex>/<hex>` (atomic on one file
   system) and fsyncs the directory; the caller does this inside the ledger transaction, before
   COMMIT, so an admission is never recorded for a file that is not durably in the store.
   `discard` removes a staged copy that was denied or not needed.

Memory is constant for any file size: one buffer of `COPY_CHUNK_BYTES`.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import InputError
from provenance.inputs.files import open_regular_descriptor
from provenance.record._fs import (
    SEALED_FILE_MODE,
    create_exclusive,
    ensure_directory,
    fsync_directory,
    unique_name,
)
from provenance.record.errors import StateError
from provenance.record.state import STATE_DIR_MODE, StateDir

__all__ = ["COPY_CHUNK_BYTES", "ContentStore", "StagedArtifact", "check_sha256_hex"]

COPY_CHUNK_BYTES = 1024 * 1024
STORE_ALGORITHM_DIR = "sha256"
STAGED_PREFIX = "stage-"
STAGED_SUFFIX = ".part"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def check_sha256_hex(value: str) -> str:
    """`value` if it is 64 lowercase hexadecimal digits; `InputError` otherwise."""
    if not _SHA256_HEX.fullmatch(value):
        raise InputError(
            f"expected a SHA-256 digest as 64 lowercase hexadecimal digits, got {value!r}"
        )
    return value


@dataclass(frozen=True)
class StagedArtifact:
    """A private, read-only copy of an artifact in `tmp/`, and the digest of exactly its bytes."""

    path: Path
    sha256: bytes
    size: int
    source: Path

    @property
    def sha256_hex(self) -> str:
        return self.sha256.hex()


@dataclass(frozen=True)
class ContentStore:
    """The `store/` of a writable state directory."""

    state: StateDir

    def path_for(self, sha256_hex: str) -> Path:
        """Where the artifact with this digest is (or would be) kept."""
        check_sha256_hex(sha256_hex)
        return self.state.store_dir / STORE_ALGORITHM_DIR / sha256_hex[:2] / sha256_hex

    def stage_copy(self, source: Path) -> StagedArtifact:
        """Copy `source` into `tmp/` while hashing it (one pass); see the module docstring.

        Raises `InputError` if the source is missing, unreadable or not a regular file, and
        `StateError` if the copy cannot be written.
        """
        self._require_writable()
        staged = self.state.tmp_dir / unique_name(STAGED_PREFIX, STAGED_SUFFIX)
        # A device or FIFO can stream forever or differ on every read; an artifact is a file.
        source_fd = open_regular_descriptor(source, "the artifact to admit")
        try:
            try:
                target_fd = create_exclusive(staged)
            except OSError as exc:
                raise _state_error(
                    self.state, staged, "cannot create the staged copy", exc
                ) from exc
            try:
                digest, size = _copy_and_hash(source, source_fd, staged, target_fd)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
        finally:
            os.close(source_fd)
        return StagedArtifact(path=staged, sha256=digest, size=size, source=source)

    def commit(self, staged: StagedArtifact) -> Path:
        """Move the staged copy into the store under its digest; returns the store path.

        Idempotent: if the digest is already stored, the rename replaces it with the staged
        copy, whose bytes have that digest (it also repairs a store file damaged on disk).
        The containing directory is fsynced before returning, so the entry is durable.
        """
        self._require_writable()
        target = self.path_for(staged.sha256_hex)
        try:
            ensure_directory(target.parent, STATE_DIR_MODE)
            os.replace(staged.path, target)
            fsync_directory(target.parent)
        except OSError as exc:
            raise _state_error(self.state, target, "cannot move into the store", exc) from exc
        return target

    def discard(self, staged: StagedArtifact) -> None:
        """Remove a staged copy that will not be committed (no error if already gone)."""
        try:
            staged.path.unlink(missing_ok=True)
        except OSError as exc:
            raise _state_error(self.state, staged.path, "cannot remove", exc) from exc

    def _require_writable(self) -> None:
        if not self.state.writable:
            raise StateError(
                f"state directory {self.state.root}: opened read-only; expected it opened "
                "for writing (create=True) to change the store"
            )


def _copy_and_hash(source: Path, source_fd: int, staged: Path, target_fd: int) -> tuple[bytes, int]:
    """Read `source_fd` to its end in chunks; write and hash each chunk; fsync; seal."""
    hasher = hashlib.sha256()
    buffer = bytearray(COPY_CHUNK_BYTES)
    view = memoryview(buffer)
    size = 0
    with (
        open(source_fd, "rb", buffering=0, closefd=False) as reader,
        open(target_fd, "wb", buffering=0, closefd=True) as target,
    ):
        while True:
            try:
                count = reader.readinto(buffer)
            except OSError as exc:
                raise InputError(f"{source}: cannot read artifact: {exc.strerror or exc}") from exc
            if not count:
                break
            chunk = view[:count]
            hasher.update(chunk)
            try:
                written = 0
                while written < count:
                    written += target.write(chunk[written:]) or 0
            except OSError as exc:
                raise StateError(
                    f"{staged}: cannot write the staged copy of {source}: {exc.strerror or exc}"
                ) from exc
            size += count
        try:
            os.fsync(target.fileno())
        except OSError as exc:
            raise StateError(
                f"{staged}: cannot sync the staged copy: {exc.strerror or exc}"
            ) from exc
    try:
        os.chmod(staged, SEALED_FILE_MODE)
    except OSError as exc:
        raise StateError(f"{staged}: cannot make the staged copy read-only: {exc}") from exc
    return hasher.digest(), size


def _state_error(state: StateDir, path: Path, what: str, exc: OSError) -> StateError:
    return StateError(
        f"state directory {state.root}: {path}: {what}: {exc.strerror or exc}; expected a "
        "writable state directory with free space"
    )
