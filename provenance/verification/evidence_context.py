"""What every evidence kind's verification shares: the artifact and the policy's trust (the
context), where facts are collected, how a failure is kept, and the run's memo of Sigstore
verifications. Each kind's handler (`evidence_kinds.EvidenceKind.verify`) receives these.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from provenance.errors import EvidenceError
from provenance.evidence.in_toto import Statement
from provenance.evidence.sigstore_bundle import parse_bundle
from provenance.facts import ApprovalFact, AttestationFact, LayoutFact, SignatureFact
from provenance.inputs.artifact import Artifact
from provenance.verification.signers import PublicKeySigner
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot
from provenance.verification.sigstore.verifier import NamedSigner, verify_bundle
from provenance.verification.vendor_layouts import LayoutTrust
from provenance.verification.vendor_signatures import SignedFile
from provenance.verification.x509 import CrlFile

__all__ = [
    "Collected",
    "EvidenceContext",
    "EvidenceItem",
    "EvidenceProblem",
    "VerificationMemo",
]


@dataclass(frozen=True)
class EvidenceProblem:
    source: str
    reason: str
    # The problem is that there is no evidence here (a PE file that carries no Authenticode
    # signature): it does not count as evidence that was examined.
    absent: bool = False


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence as read: where it came from, its bytes, and its file (None for
    a document fetched from an attestation API)."""

    source: str
    data: bytes
    path: Path | None = None

    def file(self) -> Path:
        """The file, for kinds that only files have (their name says what they sign)."""
        assert self.path is not None, f"{self.source}: expected a file"
        return self.path


@dataclass
class Collected:
    """The facts verified so far for one artifact, and the documents weighed at the end."""

    signatures: list[SignatureFact] = field(default_factory=list)
    attestations: list[AttestationFact] = field(default_factory=list)
    approvals: list[ApprovalFact] = field(default_factory=list)
    layouts: list[LayoutFact] = field(default_factory=list)
    sbom_files: list[tuple[str, bytes]] = field(default_factory=list)
    signed_files: list[SignedFile] = field(default_factory=list)
    vex_files: list[tuple[str, bytes]] = field(default_factory=list)

    def yielded(self) -> int:
        """How many facts were verified so far (SBOM and VEX files are weighed at the end)."""
        return (
            len(self.signatures)
            + len(self.attestations)
            + len(self.approvals)
            + len(self.layouts)
            + len(self.signed_files)
        )


# (SHA-256 of the bundle's bytes, the subject's SHA-256, whether the subject is a digest only)
_MemoKey = tuple[bytes, bytes, bool]
_MemoContext = tuple[tuple[NamedSigner, ...], tuple[SigstoreTrustRoot, ...], datetime]


class VerificationMemo:
    """Sigstore bundles that verified in this run, so that the same bundle bytes over the
    same digest are verified once: a delivery of identical copies, each with its bundle, or
    one bundle found by its content for each of them (vet).

    What a verification that held yields depends on the bundle's bytes, the subject's digest
    (and bytes, which the digest fixes), the signers, the trust roots and the clock, never
    on the file names: the fact is kept without its source and issued again under each file
    that carries the bytes. Failures are not kept (a reason may name the file). The memo
    binds to the first signers, trust roots and clock it is used with; under any others it
    is not consulted.
    """

    def __init__(self) -> None:
        self._context: _MemoContext | None = None
        self._held: dict[_MemoKey, tuple[SignatureFact, Statement | None]] = {}

    def __len__(self) -> int:
        return len(self._held)

    def binds(
        self,
        signers: Sequence[NamedSigner],
        trust_roots: Sequence[SigstoreTrustRoot],
        now: datetime,
    ) -> bool:
        """Whether the memo may answer for verifications under these."""
        context = (tuple(signers), tuple(trust_roots), now)
        if self._context is None:
            self._context = context
            return True
        return context == self._context

    def get(self, key: _MemoKey, source: str) -> tuple[SignatureFact, Statement | None] | None:
        held = self._held.get(key)
        if held is None:
            return None
        fact, statement = held
        return replace(fact, bundle=source), statement

    def put(self, key: _MemoKey, fact: SignatureFact, statement: Statement | None) -> None:
        self._held[key] = (fact, statement)


@dataclass(frozen=True)
class EvidenceContext:
    """The artifact evidence is about, and what the policy trusts, for one assessment."""

    artifact: Artifact
    signers: Sequence[NamedSigner]
    trust_roots: Sequence[SigstoreTrustRoot]
    group_members: Mapping[str, Mapping[str, PublicKeySigner]]
    now: datetime
    layout_trust: Sequence[LayoutTrust] = ()
    run_inspections: bool = False
    online_revocation: bool = False  # OCSP for X.509 signers, only when the operator asks
    crls: Sequence[CrlFile] = ()  # from the state directory, beside those of the delivery
    memo: VerificationMemo | None = None

    def bundle(
        self, data: bytes, source: str, *, subject: Artifact | None = None
    ) -> tuple[SignatureFact, Statement | None]:
        """A Sigstore bundle over `subject` (default: the artifact), under each trust root in
        turn; raises `EvidenceError` with every root's reason if none holds."""
        target = subject or self.artifact
        memo = self.memo
        if memo is not None and not memo.binds(self.signers, self.trust_roots, self.now):
            memo = None
        key: _MemoKey = (b"", b"", False)
        if memo is not None:
            key = (hashlib.sha256(data).digest(), target.sha256, target.path is None)
            held = memo.get(key, source)
            if held is not None:
                return held
        bundle = parse_bundle(data, source)
        reasons = []
        for root in self.trust_roots:
            outcome = verify_bundle(
                bundle, target, trust_root=root, signers=self.signers, now=self.now
            )
            if outcome.fact is not None:
                if memo is not None:
                    memo.put(key, outcome.fact, outcome.statement)
                return outcome.fact, outcome.statement
            reasons.append(
                outcome.reason
                if len(self.trust_roots) == 1
                else f"under {root.name}: {outcome.reason}"
            )
        raise EvidenceError("; ".join(reasons) or "no trust root", check="bundle")
