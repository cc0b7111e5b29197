"""The decision-result document: one artifact's decision as JSON-ready data, the one shape
`verify --segment --format json`, `admit` (with what it recorded) and each element of `vet`'s
`artifacts` share. Its schema is `provenance/report/schemas/decision-result.v1.schema.json`;
the reports render from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provenance import __version__
from provenance.decision.rules import Finding
from provenance.evidence.slsa import BuildProvenance, VerificationSummary
from provenance.facts import AttestationFact

if TYPE_CHECKING:
    from provenance.commands.evaluate import Evaluation
    from provenance.commands.evaluation import Examination
    from provenance.decision.segment import Decision
    from provenance.policy import Policy

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "decision_to_dict",
    "evaluation_to_dict",
    "examination_to_dict",
    "finding_to_dict",
]

SCHEMA_VERSION = 1
SCHEMA = "urn:ot-provenance:schema:decision-result:v1"


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "passed": finding.passed,
        "reason": finding.reason,
        "evidence": dict(finding.evidence),
    }


def _attestation_to_dict(fact: AttestationFact) -> dict[str, Any]:
    claims = fact.claims
    summary: dict[str, Any] | None = None
    if isinstance(claims, BuildProvenance):
        summary = {
            "builder_id": claims.builder_id,
            "build_type": claims.build_type,
            "source": claims.source_uri,
            "ref": claims.source_ref,
        }
    elif isinstance(claims, VerificationSummary):
        summary = {
            "verifier_id": claims.verifier_id,
            "resource_uri": claims.resource_uri,
            "policy_uri": claims.policy_uri,
            "result": claims.verification_result,
            "verified_levels": list(claims.verified_levels),
        }
    return {
        "source": fact.signature.bundle,
        "vendor": fact.signature.vendor,
        "signer": fact.signature.identity or fact.signature.key_id,
        "predicate_type": fact.predicate_type,
        "claims": summary,
    }


def examination_to_dict(examination: Examination) -> dict[str, Any]:
    assessment = examination.assessment
    return {
        "inputs": [{"path": path, "sha256": digest} for path, digest in assessment.inputs],
        "problems": [{"source": p.source, "reason": p.reason} for p in assessment.problems],
        "attestations": [_attestation_to_dict(fact) for fact in assessment.attestations],
        "layouts": [
            {
                "source": fact.layout,
                "vendor": fact.vendor,
                "signed_by": list(fact.signed_by),
                "steps": list(fact.steps),
                "inspections_run": list(fact.inspections_run),
                "inspections_skipped": list(fact.inspections_skipped),
            }
            for fact in assessment.layouts
        ],
    }


def evaluation_to_dict(result: Evaluation) -> dict[str, Any]:
    return decision_to_dict(
        artifact_name=result.artifact_name,
        sha256=result.sha256,
        segment=result.segment,
        policy=result.policy,
        examination=result.examination,
        decision=result.decision,
    )


def decision_to_dict(
    *,
    artifact_name: str,
    sha256: str,
    segment: str,
    policy: Policy,
    examination: Examination,
    decision: Decision,
) -> dict[str, Any]:
    """The fields every decision report has (verify --segment, admit)."""
    identification = examination.identification
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "provenance", "version": __version__},
        "decision": "allow" if decision.allowed else "deny",
        "reason": decision.reason or None,
        "artifact": {"name": artifact_name, "sha256": sha256},
        "segment": segment,
        "policy": {"path": policy.path, "sha256": policy.sha256},
        "product": identification.purl,
        "product_basis": identification.basis,
        "version": (
            {
                "value": identification.version.value,
                "source": identification.version.source,
                "evidence": identification.version.evidence,
            }
            if identification.version
            else None
        ),
        "evidence_strength": examination.evidence_strength,
        "findings": [finding_to_dict(child) for child in decision.finding.children],
        "evidence": examination_to_dict(examination),
    }
