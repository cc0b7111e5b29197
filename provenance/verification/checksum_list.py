"""Signed checksum lists and published hashes: the two weaker kinds of integrity evidence.

A signed checksum list (`SHA256SUMS` + `SHA256SUMS.asc`, a JSON manifest + its CMS signature)
proves the artifact is the file the vendor listed under that name, if the signature over the
list verifies under a key pinned in policy. Which signature scheme applies is the caller's
choice: it passes a `signature_check` that verifies the list's bytes (OpenPGP, a managed key,
a Sigstore bundle or CMS) and returns who signed, or raises.

A published hash (`--expected-sha256`, copied from the vendor's portal by the operator) proves
only that the artifact is the file the operator expected: the weakest evidence.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from provenance.errors import InputError, VerificationFailure
from provenance.evidence.checksum_list import Algorithm, lookup, parse_checksum_list
from provenance.inputs.artifact import Artifact

__all__ = [
    "ChecksumListResult",
    "PublishedHashResult",
    "SignatureCheck",
    "SignedBy",
    "artifact_digests",
    "published_hash_fact",
    "verify_checksum_list",
]

_SHA256_HEX = re.compile(r"(?:sha256:)?([0-9A-Fa-f]{64})")


@dataclass(frozen=True)
class SignedBy:
    """Who signed a piece of evidence, as the signature check that verified it reports."""

    kind: Literal["openpgp", "key", "sigstore-identity", "x509"]
    signer: str  # the signer rule that admitted it, in words (its `describe()`)
    key_id: str  # OpenPGP fingerprint, "sha256:<SPKI hex>", certificate fingerprint, ...
    signed_at: datetime | None  # as the signature says, if it says
    evidence: str  # the signature file, for the record
    # The policy vendor whose rule verified it, when the check knows the rule's owner.
    vendor: str | None = None


SignatureCheck = Callable[[bytes], SignedBy]


@dataclass(frozen=True)
class ChecksumListResult:
    """The artifact is listed, with its digest, in a checksum list signed by `signed_by`."""

    artifact_sha256: str  # hex
    list_name: str
    list_sha256: str  # hex digest of the list's bytes, to keep with the record
    list_format: Literal["gnu", "bsd", "json"]
    algorithm: Algorithm
    listed_name: str  # the name the list gives the artifact
    listed_digest: str  # hex, in `algorithm`
    signed_by: SignedBy


@dataclass(frozen=True)
class PublishedHashResult:
    """The artifact's SHA-256 equals the one the operator copied from the vendor."""

    artifact_sha256: str  # hex
    expected_sha256: str  # hex, lowercase
    source: Literal["operator"] = "operator"


def artifact_digests(artifact: Artifact, algorithm: Algorithm) -> dict[str, str]:
    """The artifact's digests that a list in `algorithm` needs, as lowercase hex.

    SHA-256 is always known. Others are computed from the file, in the same pass as a fresh
    SHA-256 that must equal the artifact's: the file may not change between the two reads.
    In digest mode (no file), only SHA-256 is known and a SHA-384/512 list cannot match.
    """
    digests = {"sha256": artifact.sha256.hex()}
    if algorithm == "sha256" or artifact.path is None:
        return digests
    sha256, other = hashlib.sha256(), hashlib.new(algorithm)
    try:
        with artifact.path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                sha256.update(chunk)
                other.update(chunk)
    except OSError as exc:
        raise InputError(f"{artifact.path}: cannot read artifact: {exc.strerror or exc}") from exc
    if sha256.digest() != artifact.sha256:
        raise VerificationFailure(
            f"{artifact.name}: changed while being verified; sha256 was "
            f"{artifact.sha256.hex()}, now {sha256.hexdigest()}",
            check="checksum-list",
        )
    digests[algorithm] = other.hexdigest()
    return digests


def verify_checksum_list(
    list_bytes: bytes,
    list_name: str,
    artifact: Artifact,
    signature_check: SignatureCheck,
    *,
    artifact_name: str | None = None,
) -> ChecksumListResult:
    """The artifact is listed in a checksum list whose signature verifies.

    `artifact_name` is the name to look up (default: the artifact's path, else its name);
    a digest-mode artifact needs one, since `sha256:...` is not a file name.

    1. The signature over the list's exact bytes verifies (`signature_check` raises if not).
       Nothing in the list is read before this: the parser never sees unsigned input.
    2. Parse the list strictly (`parse_checksum_list`): EvidenceError if malformed.
    3. Look the artifact up by name and compare its digest in the list's algorithm
       (`lookup`): VerificationFailure if not listed or different.
    """
    signed_by = signature_check(list_bytes)
    checksums = parse_checksum_list(list_bytes, list_name)
    name = artifact_name
    if name is None:
        if artifact.path is None:
            raise VerificationFailure(
                f"{artifact.name}: given as a digest; expected its file name to look up in "
                f"{list_name}",
                check="checksum-list",
            )
        name = str(artifact.path)
    entry = lookup(checksums, name, artifact_digests(artifact, checksums.algorithm))
    return ChecksumListResult(
        artifact_sha256=artifact.sha256.hex(),
        list_name=list_name,
        list_sha256=hashlib.sha256(list_bytes).hexdigest(),
        list_format=checksums.format,
        algorithm=checksums.algorithm,
        listed_name=entry.name,
        listed_digest=entry.digest,
        signed_by=signed_by,
    )


def published_hash_fact(artifact: Artifact, expected_sha256: str) -> PublishedHashResult:
    """The artifact's SHA-256 equals `expected_sha256` (64 hex digits, `sha256:` optional).

    Raises `InputError` if the expected value is not a SHA-256 (the operator's input, exit 2)
    and `VerificationFailure` if the artifact's digest differs.
    """
    match = _SHA256_HEX.fullmatch(expected_sha256.strip())
    if match is None:
        raise InputError(
            f"--expected-sha256: expected 64 hexadecimal digits (optionally after 'sha256:'), "
            f"got {expected_sha256!r}"
        )
    expected = match.group(1).lower()
    actual = artifact.sha256.hex()
    if actual != expected:
        raise VerificationFailure(
            f"{artifact.name}: sha256 is {actual}, expected {expected} (--expected-sha256)",
            check="published-hash",
        )
    return PublishedHashResult(artifact_sha256=actual, expected_sha256=expected)
