"""Who wrote a CSAF advisory: its `.asc` signature under the publisher's pinned OpenPGP key, else
its `.sha512`, else nothing (refused unless the operator said `--allow-unsigned`).

CSAF 2.0 section 7.1.18/7.1.19: a trusted provider publishes each document with a `.sha512`
(integrity) and a detached OpenPGP signature `.asc` (authenticity), and lists its signing keys'
fingerprints in its `provider-metadata.json`. A hash beside a file proves only that the two
were copied together: whoever can write the removable media can write both. So:

1. A document whose publisher (`document.publisher.namespace`) has a key pinned in the site
   policy (`trust.advisories`) must carry an `.asc` that verifies under that key over the
   document's exact bytes (`verification.openpgp`: SHA-256 or stronger, key valid at the
   signature's time and now). No `.asc`, or one that does not verify: refused. A genuine
   signed document of another advisory copied under this one's name is just that other
   document (it is filed under its own tracking id), never this one.
2. A `.sha512` beside any document must match its bytes; a mismatch is refused.
3. Otherwise the document is accepted as `hash-only` when its `.sha512` matched (its `.asc`,
   if any, is named as not checked: no key pinned for that publisher), and as `unverified`
   only when the import was run with `allow_unsigned`; without either, it is refused.

The outcome of every document is kept per source (`vulndb status` lists it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from provenance.errors import VerificationFailure

if TYPE_CHECKING:
    from provenance.verification.openpgp import OpenPgpSigner

__all__ = [
    "MAX_SHA512_FILE_BYTES",
    "MAX_SIGNATURE_FILE_BYTES",
    "AdvisoryPublisher",
    "AdvisoryRefused",
    "AdvisoryVerification",
    "VerificationLevel",
    "verify_advisory",
]

MAX_SHA512_FILE_BYTES = 4096
# One armored signature packet (RSA-4096 with notations) is ~1 KB.
MAX_SIGNATURE_FILE_BYTES = 64 * 1024
_HEX512 = re.compile(r"[0-9a-fA-F]{128}")

VerificationLevel = Literal["signed", "hash-only", "unverified"]


@dataclass(frozen=True)
class AdvisoryPublisher:
    """A CSAF publisher the site pins: its namespace and its OpenPGP certificates."""

    namespace: str  # document.publisher.namespace, e.g. "https://www.cisa.gov"
    signer: OpenPgpSigner  # its pinned certificates (pysequoia loads only when one is used)
    source: str  # where the key was configured (policy path and entry)


@dataclass(frozen=True)
class AdvisoryVerification:
    level: VerificationLevel
    detail: str  # one line: which key signed it, or why only the hash (or nothing) held
    key: str | None = None  # fingerprint of the signing key, for "signed"


class AdvisoryRefused(Exception):
    """The document may not be imported; `reason` says why (one line)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _sidecar(file: Path, suffix: str, limit: int) -> bytes | None:
    """The `.asc`/`.sha512` beside `file`, or None; never followed through a symlink."""
    beside = file.with_name(file.name + suffix)
    try:
        info = beside.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AdvisoryRefused(f"{beside.name}: cannot read: {exc.strerror or exc}") from exc
    if not beside.is_file() or beside.is_symlink():
        raise AdvisoryRefused(f"{beside.name}: expected a regular file (symlinks not followed)")
    if info.st_size > limit:
        raise AdvisoryRefused(f"{beside.name}: expected at most {limit} bytes, got {info.st_size}")
    try:
        return beside.read_bytes()[: limit + 1]
    except OSError as exc:
        raise AdvisoryRefused(f"{beside.name}: cannot read: {exc.strerror or exc}") from exc


def _check_sha512(file: Path, data: bytes) -> bool:
    """True if a `.sha512` beside `file` matches `data`; False if there is none."""
    text = _sidecar(file, ".sha512", MAX_SHA512_FILE_BYTES)
    if text is None:
        return False
    words = text.decode("ascii", "replace").split()
    name = file.name + ".sha512"
    if not words or not _HEX512.fullmatch(words[0]):
        raise AdvisoryRefused(
            f"{name}: expected a SHA-512 hex digest, got {' '.join(words)[:80]!r}"
        )
    actual = hashlib.sha512(data).hexdigest()
    if actual != words[0].lower():
        raise AdvisoryRefused(
            f"SHA-512 does not match {name}: expected {words[0].lower()[:16]}..., got "
            f"{actual[:16]}..."
        )
    return True


def _namespace(document: dict[str, Any]) -> str | None:
    publisher = document.get("document", {}).get("publisher")
    namespace = publisher.get("namespace") if isinstance(publisher, dict) else None
    return namespace.rstrip("/") if isinstance(namespace, str) else None


def verify_advisory(
    file: Path,
    data: bytes,
    document: dict[str, Any],
    *,
    publishers: Sequence[AdvisoryPublisher],
    allow_unsigned: bool,
    now: datetime,
) -> AdvisoryVerification:
    """How `data` (the bytes of `file`, parsed as `document`) is vouched for; raises
    `AdvisoryRefused` if it may not be imported (the module docstring's steps)."""
    # 2. A hash beside the document must match, whatever else holds.
    hashed = _check_sha512(file, data)
    signature = _sidecar(file, ".asc", MAX_SIGNATURE_FILE_BYTES)
    namespace = _namespace(document)
    pinned = [p for p in publishers if namespace is not None and p.namespace == namespace]
    # 1. A pinned publisher's documents are signed, or refused.
    if pinned:
        if signature is None:
            raise AdvisoryRefused(
                f"expected an OpenPGP signature {file.name}.asc by the key pinned for publisher "
                f"{namespace}, got none"
            )
        return _verify_signature(file, data, signature, pinned, now)
    # 3. Nobody's key is pinned for this publisher: the hash, or the operator's say-so.
    unchecked = (
        f"; its signature {file.name}.asc was not checked: no key pinned for publisher "
        f"{namespace or '(none named)'}"
        if signature is not None
        else ""
    )
    if hashed:
        return AdvisoryVerification("hash-only", f"SHA-512 matched {file.name}.sha512{unchecked}")
    if allow_unsigned:
        detail = f"no signature by a pinned key and no .sha512 (--allow-unsigned){unchecked}"
        return AdvisoryVerification("unverified", detail)
    raise AdvisoryRefused(
        "expected an OpenPGP signature (.asc) by a publisher key pinned in the policy "
        "(trust.advisories) or a .sha512 beside it, got "
        + ("a signature by no pinned publisher and no .sha512" if signature else "neither")
        + " (import with --allow-unsigned to accept it anyway)"
    )


def _verify_signature(
    file: Path,
    data: bytes,
    signature: bytes,
    pinned: Sequence[AdvisoryPublisher],
    now: datetime,
) -> AdvisoryVerification:
    from provenance.verification.openpgp import verify_openpgp_signature  # noqa: PLC0415

    try:
        verified = verify_openpgp_signature(
            signature,
            data,
            [publisher.signer for publisher in pinned],
            now=now,
            data_name=file.name,
            signature_name=f"{file.name}.asc",
        )
    except VerificationFailure as exc:  # EvidenceError included: a malformed .asc
        raise AdvisoryRefused(f"signature does not verify: {exc}") from exc
    publisher = next(p for p in pinned if p.signer is verified.signer)
    return AdvisoryVerification(
        "signed",
        f"signed by {publisher.namespace} key 0x{verified.primary_key} at "
        f"{verified.signed_at.isoformat()}",
        key=verified.primary_key,
    )
