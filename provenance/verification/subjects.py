"""Does a statement name this artifact? SHA-256 first; SHA-512 when the statement has no
SHA-256 digests and the artifact's bytes are at hand.

Other algorithms never bind a statement to the artifact (they are kept only as extra
evidence). The SHA-512 pass also recomputes SHA-256 and requires it to equal the artifact's:
the file must still be the bytes every other check saw.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from provenance.errors import VerificationFailure
from provenance.evidence.in_toto import Statement
from provenance.inputs.artifact import Artifact

__all__ = ["SubjectMatch", "require_subject"]

_CHUNK = 1 << 20
_SHOWN = ("sha256", "sha512")


class SubjectMatch(NamedTuple):
    """How a statement names the artifact: the algorithm that bound it, the names its
    matching subjects give it, and how many subjects are about other digests."""

    algorithm: str
    names: tuple[str, ...]
    others: int


def _match(statement: Statement, algorithm: str, hex_digest: str) -> SubjectMatch | None:
    mine = [s for s in statement.subjects if s.digest.get(algorithm) == hex_digest]
    if not mine:
        return None
    names = tuple(dict.fromkeys(s.name for s in mine if s.name))
    return SubjectMatch(algorithm, names, len(statement.subjects) - len(mine))


def require_subject(statement: Statement, artifact: Artifact) -> SubjectMatch:
    """How the statement names the artifact; raises if it does not."""
    match = _match(statement, "sha256", artifact.sha256.hex())
    if match is not None:
        return match
    if "sha256" not in statement.algorithms() and "sha512" in statement.algorithms():
        if artifact.path is None:
            raise VerificationFailure(
                "attestation subject: the statement names only SHA-512 digests, and a "
                f"digest-mode artifact ({artifact.digest_text}) has no bytes to hash",
                check="subject",
            )
        match = _match(statement, "sha512", _sha512_of(artifact))
        if match is not None:
            return match
    names = ", ".join(
        f"{s.name or '?'} "
        + " ".join(f"{alg}:{value}" for alg, value in sorted(s.digest.items()) if alg in _SHOWN)
        for s in statement.subjects[:5]
    )
    more = f" and {len(statement.subjects) - 5} more" if len(statement.subjects) > 5 else ""
    raise VerificationFailure(
        f"attestation subject: expected {artifact.digest_text}, got {names}{more}",
        check="subject",
    )


def _sha512_of(artifact: Artifact) -> str:
    assert artifact.path is not None
    sha256, sha512 = hashlib.sha256(), hashlib.sha512()
    try:
        with artifact.path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                sha256.update(chunk)
                sha512.update(chunk)
    except OSError as exc:
        raise VerificationFailure(
            f"{artifact.name}: cannot read the artifact again for SHA-512: {exc.strerror or exc}",
            check="subject",
        ) from exc
    if sha256.digest() != artifact.sha256:
        raise VerificationFailure(
            f"{artifact.name}: the file changed while it was being verified", check="subject"
        )
    return sha512.hexdigest()
