"""The gate's core, shared by `admit` and `policy test`: evidence -> facts (`examine`), then
facts -> decision (`judge`).

Nothing here writes: admission (store, ledger, audit log, VSA) happens around it, and a
policy test runs it against recorded cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from provenance.decision.context import AdmissionHistory, DecisionContext
from provenance.decision.evidence_strength import evidence_strength
from provenance.decision.product import Identification, identify
from provenance.decision.requirements.baseline import OperatorHash
from provenance.decision.rules import AllOf, Finding
from provenance.decision.segment import Decision
from provenance.facts import VulnerabilityFacts
from provenance.inputs.artifact import Artifact
from provenance.policy import Policy
from provenance.policy.requirements.evidence import EvidenceSpec
from provenance.record.crl_store import stored_crls
from provenance.record.state import resolve_state_dir
from provenance.scales import Strength, rank
from provenance.verification.evidence_set import (
    Assessment,
    EvidenceDocument,
    VerificationMemo,
    assess,
    looked_for,
)
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot
from provenance.verification.sigstore.verifier import NamedSigner
from provenance.verification.vendor_layouts import LayoutTrust
from provenance.verification.x509 import CrlFile, X509Signer
from provenance.verification.x509.revocation import RevocationMode

__all__ = [
    "Examination",
    "GateInputs",
    "examine",
    "judge",
    "revocation_default",
    "state_crls",
    "vulnerability_db_for",
]


@dataclass(frozen=True)
class GateInputs:
    """What the policy brings to every evaluation: loaded once per command."""

    policy: Policy
    trust_roots: tuple[SigstoreTrustRoot, ...]
    signers: tuple[NamedSigner, ...]
    layout_trust: tuple[LayoutTrust, ...] = ()
    # The state directory whose vulnerability database is read (`vulnerability_db_for`);
    # None: no lookup (the segment has no `vulnerabilities` requirement).
    vulnerability_db: Path | None = None
    # CRLs carried in the state directory (`provenance crl import`, admitted deliveries).
    crls: tuple[CrlFile, ...] = ()

    @classmethod
    def from_policy(
        cls,
        policy: Policy,
        *,
        vulnerability_db: Path | None = None,
        crls: Sequence[CrlFile] = (),
        state_dir: Path | None = None,
    ) -> GateInputs:
        """`state_dir`: where `imported:` trust roots are read (default: the environment's)."""
        from provenance.commands.trust_roots import load_named_trust_root  # noqa: PLC0415

        return cls(
            policy=policy,
            trust_roots=tuple(
                load_named_trust_root(ref, state_dir=state_dir) for ref in policy.sigstore_trust
            ),
            signers=tuple(NamedSigner(rule, vendor) for vendor, rule in policy.signer_rules()),
            layout_trust=tuple(
                LayoutTrust(vendor.name, vendor.layout_keys, vendor.layout_threshold)
                for vendor in policy.vendors.values()
                if vendor.layout_keys
            ),
            vulnerability_db=vulnerability_db,
            crls=tuple(crls),
        )


def revocation_default(policy: Policy, segment: str) -> RevocationMode:
    """What `revocation` means for an x509 signer that does not set it, in `segment`:
    required where the segment's evidence minimum is signed-identity or stronger (the
    signature is the evidence), best-effort elsewhere."""
    evidence = policy.effective_requirements(segment).find(EvidenceSpec)
    strong = evidence is not None and rank(evidence.minimum) >= rank("signed-identity")
    return "required" if strong else "best-effort"


def _segment_signers(
    signers: Sequence[NamedSigner], policy: Policy, segment: str | None
) -> tuple[NamedSigner, ...]:
    """The signers with each x509 rule's revocation set: its own, else the segment's default
    (no segment: unset, which verification treats as required)."""
    if segment is None:
        return tuple(signers)
    mode = revocation_default(policy, segment)
    return tuple(
        NamedSigner(named.rule.with_revocation_default(mode), named.vendor)
        if isinstance(named.rule, X509Signer)
        else named
        for named in signers
    )


def state_crls(state_dir: Path | None) -> list[CrlFile]:
    """The CRLs carried in the state directory (`--state-dir`, `$PROVENANCE_STATE_DIR`, the
    default); none if it has no CRL store."""
    return stored_crls(resolve_state_dir(state_dir))


def vulnerability_db_for(policy: Policy, segment: str, state_dir: Path | None) -> Path | None:
    """The state directory (`--state-dir`, `$PROVENANCE_STATE_DIR`, the default) whose
    vulnerability database the segment's `vulnerabilities` rule reads; None if it has none."""
    if "vulnerabilities" not in policy.effective_requirements(segment):
        return None
    return resolve_state_dir(state_dir)


@dataclass(frozen=True)
class Examination:
    """The verified facts about one artifact, before any decision."""

    artifact: Artifact
    assessment: Assessment
    identification: Identification
    vulnerabilities: VulnerabilityFacts | None = None  # its SBOM looked up, when asked for

    @property
    def evidence_strength(self) -> Strength:
        facts = self.assessment
        return evidence_strength(
            facts.signatures, facts.attestations, facts.published_hash, facts.layouts
        )


def examine(
    inputs: GateInputs,
    artifact: Artifact,
    evidence: Sequence[Path | EvidenceDocument],
    *,
    now: datetime,
    operator_product: str | None = None,
    operator_version: str | None = None,
    expected_sha256: str | None = None,
    run_inspections: bool = False,
    online_revocation: bool = False,
    segment: str | None = None,
    memo: VerificationMemo | None = None,
) -> Examination:
    """Verify every piece of evidence (the slow, cryptographic part; no lock is held).
    `segment`: whose evidence minimum sets the default of x509 signers' `revocation`;
    `memo`: Sigstore verifications already made in this run (vet)."""
    policy = inputs.policy
    assessment = assess(
        artifact,
        evidence,
        signers=_segment_signers(inputs.signers, policy, segment),
        trust_roots=inputs.trust_roots,
        group_members={name: group.members for name, group in policy.groups.items()},
        now=now,
        expected_sha256=expected_sha256,
        layout_trust=inputs.layout_trust,
        run_inspections=run_inspections,
        online_revocation=online_revocation,
        crls=inputs.crls,
        memo=memo,
    )
    delivered = artifact.delivered_path
    identification = identify(
        file_name=delivered.name if delivered is not None else None,
        signatures=assessment.signatures,
        attestations=assessment.attestations,
        layouts=assessment.layouts,
        sbom=assessment.sbom,
        vendors=policy.vendors,
        operator_product=operator_product,
        operator_version=operator_version,
    )
    vulnerabilities = None
    if inputs.vulnerability_db is not None:
        # Imported here: only segments with a `vulnerabilities` rule pay for the database.
        from provenance.vulnerabilities.scan import lookup  # noqa: PLC0415

        vulnerabilities = lookup(inputs.vulnerability_db, assessment.sbom, now=now)
    return Examination(artifact, assessment, identification, vulnerabilities)


def judge(
    rules: AllOf,
    examination: Examination,
    *,
    segment: str,
    now: datetime,
    history: AdmissionHistory,
) -> Decision:
    """Apply the segment's rules (quick; runs inside the admitting transaction for rollback).

    An artifact with no evidence at all gets one finding that says so, not a failure for
    every requirement."""
    facts, identification = examination.assessment, examination.identification
    if _nothing_examined(facts):
        name = Path(examination.artifact.name).name
        why = "".join(f"; {problem.source}: {problem.reason}" for problem in facts.problems)
        missing = Finding(
            "no_evidence", False, f"no evidence found (looked for: {looked_for(name)}){why}"
        )
        return Decision(segment, Finding(rules.name, False, missing.reason, children=(missing,)))
    context = DecisionContext(
        artifact_sha256=examination.artifact.sha256.hex(),
        artifact_name=examination.artifact.name,
        segment=segment,
        signatures=facts.signatures,
        approvals=facts.approvals,
        attestations=facts.attestations,
        published_hash=facts.published_hash,
        published_hash_mismatch=facts.published_hash_mismatch,
        layouts=facts.layouts,
        sbom_facts=facts.sbom,
        vulnerability_facts=examination.vulnerabilities,
        product=identification.product,
        version=identification.version,
        identification_problem=identification.problem,
        now=now,
        history=history,
    )
    if facts.published_hash is not None or facts.published_hash_mismatch is not None:
        rules = AllOf(rules.name, [*rules.rules, OperatorHash()])
    return Decision(segment, rules.evaluate(context))


def _nothing_examined(facts: Assessment) -> bool:
    """No evidence file, embedded signature or operator's hash was there to examine."""
    return not (
        facts.inputs
        or facts.signatures
        or any(not problem.absent for problem in facts.problems)
        or facts.published_hash is not None
        or facts.published_hash_mismatch is not None
    )
