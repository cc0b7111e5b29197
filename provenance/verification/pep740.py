"""PEP 740 attestations verified into facts: the kind's public API for evidence dispatch.

Each attestation of a file (a lone attestation, or every one of a provenance object) is
verified on its own as the Sigstore bundle it is equivalent to, by the project's bundle
verifier, under each trust root in turn (never a mix): log, time, certificate, signature,
signer rule (identity or PyPI trusted publisher), then the PEP 740 subject (the artifact's
SHA-256 and its distribution file name). What held becomes a `SignatureFact` and an
`AttestationFact`; what did not is kept with its reason.

The file is verified when every attestation in it verified: PyPI serves them together, and
pypi-attestations fails the whole object when one fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from provenance.errors import EvidenceError
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.evidence.pep740 import (
    Pep740Bundle,
    parse_attestations,
    pep740_kind,
    read_attestations,
)
from provenance.facts import AttestationFact, SignatureFact
from provenance.inputs.artifact import Artifact
from provenance.verification.attestations import attestation_fact
from provenance.verification.evidence_context import (
    Collected,
    EvidenceContext,
    EvidenceItem,
    EvidenceProblem,
)
from provenance.verification.evidence_kind import EvidenceKind
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot
from provenance.verification.sigstore.verifier import BundleOutcome, NamedSigner, verify_bundle

__all__ = [
    "KIND",
    "AttestationOutcome",
    "Pep740Result",
    "verify_attestation_bundle",
    "verify_pep740",
]


@dataclass(frozen=True)
class AttestationOutcome:
    """One attestation: each trust root's run, and the facts if one run held."""

    source: str
    outcomes: tuple[BundleOutcome, ...]
    attestation: AttestationFact | None = None
    problem: str | None = None  # held cryptographically, but its predicate is malformed

    @property
    def signature(self) -> SignatureFact | None:
        return self.attestation.signature if self.attestation else None

    @property
    def passed(self) -> bool:
        return self.attestation is not None

    @property
    def reason(self) -> str:
        if self.passed:
            return ""
        if self.problem:
            return self.problem
        if len(self.outcomes) == 1:
            return self.outcomes[0].reason
        return "; ".join(f"under {o.trust_root}: {o.reason}" for o in self.outcomes)


@dataclass(frozen=True)
class Pep740Result:
    """Every attestation of one file; verified only if each of them verified."""

    artifact: Artifact
    source: str
    attestations: tuple[AttestationOutcome, ...]

    @property
    def verified(self) -> bool:
        return bool(self.attestations) and all(a.passed for a in self.attestations)

    @property
    def facts(self) -> tuple[AttestationFact, ...]:
        return tuple(a.attestation for a in self.attestations if a.attestation is not None)

    @property
    def reason(self) -> str:
        failed = [a for a in self.attestations if not a.passed]
        if len(self.attestations) == 1:
            return failed[0].reason if failed else ""
        return "; ".join(f"{a.source}: {a.reason}" for a in failed)


def verify_pep740(
    path: Path,
    artifact: Artifact,
    *,
    signers: Sequence[NamedSigner],
    trust_roots: Sequence[SigstoreTrustRoot],
    now: datetime,
) -> Pep740Result:
    """Verify a PEP 740 attestation file or provenance object about `artifact`.

    Malformed evidence is a failed result; an unreadable file raises `InputError`.
    """
    try:
        bundles = read_attestations(path)
    except EvidenceError as malformed:
        rejected = BundleOutcome.rejected(str(path), str(malformed))
        return Pep740Result(artifact, str(path), (AttestationOutcome(str(path), (rejected,)),))
    outcomes = tuple(
        verify_attestation_bundle(
            bundle, artifact, signers=signers, trust_roots=trust_roots, now=now
        )
        for bundle in bundles
    )
    return Pep740Result(artifact, str(path), outcomes)


def verify_attestation_bundle(
    bundle: Pep740Bundle,
    artifact: Artifact,
    *,
    signers: Sequence[NamedSigner],
    trust_roots: Sequence[SigstoreTrustRoot],
    now: datetime,
) -> AttestationOutcome:
    """One converted attestation, under each trust root until one holds."""
    runs = []
    for root in trust_roots:
        run = verify_bundle(bundle, artifact, trust_root=root, signers=signers, now=now)
        runs.append(run)
        if run.fact is not None and run.statement is not None:
            try:
                fact = attestation_fact(run.fact, run.statement, bundle.source)
            except EvidenceError as malformed:
                return AttestationOutcome(bundle.source, tuple(runs), problem=str(malformed))
            return AttestationOutcome(bundle.source, tuple(runs), attestation=fact)
    return AttestationOutcome(bundle.source, tuple(runs))


def _verify_item(
    context: EvidenceContext, item: EvidenceItem, into: Collected
) -> list[EvidenceProblem]:
    """The registry's handler: every attestation of the file must hold, and then each adds
    a signature and an attestation about the artifact."""
    try:
        document = load_json(item.data)
    except MalformedJson as exc:
        raise EvidenceError(f"not JSON: {exc}", check="bundle") from exc
    bundles = parse_attestations(document, item.source)
    result = Pep740Result(
        context.artifact,
        item.source,
        tuple(
            verify_attestation_bundle(
                bundle,
                context.artifact,
                signers=context.signers,
                trust_roots=context.trust_roots,
                now=context.now,
            )
            for bundle in bundles
        ),
    )
    if not result.verified:
        raise EvidenceError(result.reason or "no attestation in it", check="bundle")
    into.attestations.extend(result.facts)
    into.signatures.extend(fact.signature for fact in result.facts)
    return []


KIND = EvidenceKind(
    "pep740",
    "pep740-attestation",
    "a PEP 740 attestation (PyPI), or a PyPI provenance object holding them",
    by_name=lambda path: path.name.endswith((".attestation", ".provenance")),
    by_json=lambda document: pep740_kind(document) is not None,
    verify=_verify_item,
    attached=True,
    beside=("{name}.*.attestation", "{name}.provenance"),
)
