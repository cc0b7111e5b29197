"""The PEP 740 subject rule: an attestation is about one distribution file, by name and digest.

As pypi-attestations' `Attestation.verify`, after the signature and the signer held:
1. The statement is in-toto v1 with a predicate type PyPI accepts.
2. It has exactly one subject.
3. The subject's SHA-256 is the artifact's.
4. The subject's name and the artifact's file name are the same distribution file name once
   normalised (`evidence.dist_names`): a genuine attestation for these bytes under another
   name (another version, project or platform tag) does not vouch for this file.

A digest-mode artifact has no file name, so a PEP 740 attestation cannot be bound to it.
"""

from __future__ import annotations

from provenance.errors import VerificationFailure
from provenance.evidence.dist_names import NotADistributionName, parse_distribution_name
from provenance.evidence.in_toto import Statement
from provenance.evidence.pep740 import PYPI_ATTESTATION_TYPES
from provenance.inputs.artifact import Artifact
from provenance.verification.subjects import SubjectMatch

__all__ = ["require_distribution_subject"]

_STATEMENT_V1 = "https://in-toto.io/Statement/v1"


def require_distribution_subject(statement: Statement, artifact: Artifact) -> SubjectMatch:
    """How the attestation names the artifact; raises `VerificationFailure` if it does not."""
    if statement.statement_type != _STATEMENT_V1:
        raise _fail(
            f"expected an in-toto {_STATEMENT_V1} statement, got {statement.statement_type}"
        )
    if statement.predicate_type not in PYPI_ATTESTATION_TYPES:
        raise _fail(
            f"expected a predicate type PyPI accepts ({', '.join(PYPI_ATTESTATION_TYPES)}), "
            f"got {statement.predicate_type[:100]!r}"
        )
    if len(statement.subjects) != 1:
        raise _fail(f"expected exactly one subject, got {len(statement.subjects)}")
    subject = statement.subjects[0]
    signed_digest = subject.digest.get("sha256")
    if signed_digest != artifact.sha256.hex():
        raise _fail(
            f"expected sha256 {artifact.sha256.hex()} ({artifact.name}), got "
            f"{signed_digest or 'no sha256'} ({subject.name[:200]!r})"
        )
    path = artifact.delivered_path
    if path is None:
        raise _fail(
            f"a PEP 740 attestation binds a file name, and a digest-mode artifact "
            f"({artifact.digest_text}) has none: give the distribution file"
        )
    try:
        signed = parse_distribution_name(subject.name)
    except NotADistributionName as exc:
        raise _fail(f"the signed subject name: {exc}") from exc
    try:
        delivered = parse_distribution_name(path.name)
    except NotADistributionName as exc:
        raise _fail(f"the artifact's file name: {exc}") from exc
    if signed != delivered:
        raise _fail(
            f"expected the file name {path.name!r} ({delivered.describe()}), got "
            f"{subject.name!r} ({signed.describe()}): the same bytes under another name are "
            "another distribution"
        )
    return SubjectMatch("sha256", (subject.name,), 0)


def _fail(problem: str) -> VerificationFailure:
    return VerificationFailure(f"attestation subject: {problem}", check="subject")
