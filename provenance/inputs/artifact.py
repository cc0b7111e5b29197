"""The artifact under decision: a file hashed in constant memory, or a bare SHA-256 digest.

Digest mode serves artifacts that are not at hand (a 4 GB disk image on another host) or that
were already hashed by a trusted step; the decision is then about that digest only.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import InputError
from provenance.inputs.files import open_regular_file

__all__ = [
    "Artifact",
    "artifact_from_argument",
    "digest_argument",
    "file_argument",
    "sha256_file",
    "snapshot",
]

_DIGEST_ARGUMENT = re.compile(r"sha256:([0-9a-fA-F]{64})")


@dataclass(frozen=True)
class Artifact:
    """What is being decided about: its SHA-256 digest and how the user named it."""

    name: str
    sha256: bytes
    path: Path | None = None
    # Where the file was delivered, when `path` is a private copy of it (admit verifies the
    # copy it keeps): evidence names the delivered file, and CRLs lie beside it.
    delivered_as: Path | None = None

    @property
    def digest_text(self) -> str:
        return "sha256:" + self.sha256.hex()

    @property
    def delivered_path(self) -> Path | None:
        """The file as delivered: its name and folder, for evidence that goes by name."""
        return self.delivered_as or self.path


def sha256_file(path: Path) -> bytes:
    """SHA-256 of a file, read in fixed-size chunks (constant memory)."""
    try:
        with open_regular_file(path, "a file to hash") as handle:
            # file_digest reads into one reusable buffer: constant memory for any size.
            return hashlib.file_digest(handle, "sha256").digest()
    except OSError as exc:
        raise InputError(f"{path}: cannot read artifact: {exc.strerror or exc}") from exc


def artifact_from_argument(argument: str) -> Artifact:
    """`sha256:<64 hex>` is a digest; anything else is a path to a file to hash."""
    digest = digest_argument(argument)
    if digest is not None:
        return digest
    path = file_argument(argument)
    return Artifact(name=argument, sha256=sha256_file(path), path=path)


def digest_argument(argument: str) -> Artifact | None:
    """The artifact a `sha256:<64 hex>` argument names; None if it is not one."""
    if not argument.startswith("sha256:"):
        return None
    match = _DIGEST_ARGUMENT.fullmatch(argument)
    if match is None:
        raise InputError(f"{argument}: expected 'sha256:' followed by 64 hexadecimal digits")
    return Artifact(name=argument, sha256=bytes.fromhex(match.group(1)))


def file_argument(argument: str) -> Path:
    """The regular file an argument names; `InputError` otherwise."""
    path = Path(argument)
    if not path.exists():
        raise InputError(f"{argument}: no such file")
    if path.is_dir():
        raise InputError(f"{argument}: is a directory, expected a file")
    if not path.is_file():
        # A device or FIFO could stream forever; a vendor artifact is a regular file.
        raise InputError(f"{argument}: not a regular file")
    return path


_CHUNK = 1 << 20


def snapshot(argument: str, folder: Path) -> Artifact:
    """The artifact an argument names; a file is copied into `folder` as it is hashed.

    Evidence checks that read the file again (CMS, OpenPGP, Authenticode, SHA-512 subjects)
    then read bytes that cannot change under them: the digest decided about is the digest of
    the bytes every check saw. (`admit` keeps such a copy in its store for the same reason.)
    """
    digest_mode = digest_argument(argument)
    if digest_mode is not None:
        return digest_mode
    path = file_argument(argument)
    copy = folder / path.name
    digest = hashlib.sha256()
    try:
        with open_regular_file(path, "the artifact") as source, copy.open("xb") as target:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                target.write(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot copy artifact: {exc.strerror or exc}") from exc
    return Artifact(name=argument, sha256=digest.digest(), path=copy, delivered_as=path)
