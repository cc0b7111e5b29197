"""A gate decision for people and machines: shared by `verify --segment` and `admit`.

The JSON schema of `verify --segment --format json` is published at
`provenance/report/schemas/decision-result.v1.schema.json`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from provenance.commands.decision_document import (
    SCHEMA,
    SCHEMA_VERSION,
    decision_to_dict,
    evaluation_to_dict,
    examination_to_dict,
    finding_to_dict,
)
from provenance.evidence.slsa import BuildProvenance, VerificationSummary
from provenance.facts import AttestationFact
from provenance.report.lines import one_line, verdict

if TYPE_CHECKING:
    from provenance.commands.evaluate import Evaluation
    from provenance.commands.evaluation import Examination
    from provenance.decision.segment import Decision

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "decision_to_dict",
    "evaluation_to_dict",
    "examination_lines",
    "examination_to_dict",
    "finding_lines",
    "finding_to_dict",
    "one_line",
    "problems_note",
    "render_json",
    "render_text",
    "verdict_line",
]


def verdict_line(result: Evaluation) -> str:
    if result.allowed:
        return verdict("OK", result.artifact_name, f"allowed for {result.segment}")
    return verdict(
        "FAIL",
        result.artifact_name,
        f"denied for {result.segment}: "
        f"{result.decision.reason}{problems_note(result.examination, result.decision)}",
    )


def problems_note(examination: Examination, decision: Decision | None = None) -> str:
    """On a denial, why evidence that was handed in counted for nothing (the first reason
    the decision does not already give)."""
    said = decision.reason if decision is not None else ""
    problems = [p for p in examination.assessment.problems if p.reason not in said]
    if not problems:
        return ""
    first = problems[0]
    more = f"; and {len(problems) - 1} more" if len(problems) > 1 else ""
    reason = one_line(first.reason)
    if not reason.startswith(first.source):
        reason = f"{first.source}: {reason}"
    return f" (evidence that did not verify: {reason}{more})"


def _attestation_line(fact: AttestationFact) -> str:
    claims = fact.claims
    if isinstance(claims, BuildProvenance):
        what = (
            f"SLSA provenance {claims.predicate_version}: builder {claims.builder_id}, "
            f"source {claims.source_uri or '?'}@{claims.source_ref or '?'}"
        )
    elif isinstance(claims, VerificationSummary):
        what = f"VSA {claims.verification_result} by {claims.verifier_id} ({claims.policy_uri})"
    else:
        what = fact.predicate_type
    return f"attests   {fact.signature.vendor or 'no vendor'}: {what}"


def examination_lines(examination: Examination) -> list[str]:
    identification = examination.identification
    lines = [f"evidence  {examination.evidence_strength} (the strongest that verified)"]
    if identification.product is not None:
        version = identification.version
        lines.append(
            f"product   {identification.product.purl} "
            + (f"{version.value} ({version.source})" if version else "(no version)")
            + f", recognised by {identification.basis}"
        )
    elif identification.problem:
        lines.append(f"product   {identification.problem}")
    for fact in examination.assessment.signatures:
        who = fact.identity or fact.key_id
        what = "statement" if fact.content == "dsse" else "signature"
        lines.append(f"{what:<9} {fact.vendor or 'no vendor'}: {who}, {fact.time_text()}")
    lines += [_attestation_line(fact) for fact in examination.assessment.attestations]
    for layout in examination.assessment.layouts:
        skipped = (
            f"; inspections skipped: {', '.join(layout.inspections_skipped)}"
            if layout.inspections_skipped
            else ""
        )
        lines.append(
            f"layout    {layout.vendor}: {layout.layout} (steps {', '.join(layout.steps)}{skipped})"
        )
    for approval in examination.assessment.approvals:
        lines.append(f"approval  {approval.member} ({approval.group}) for {approval.segment}")
    for problem in examination.assessment.problems:
        lines.append(f"ignored   {problem.source}: {one_line(problem.reason)}")
    return lines


def finding_lines(decision: Decision) -> list[str]:
    lines = ["requirements:"]
    for child in decision.finding.children:
        mark = "ok  " if child.passed else "FAIL"
        lines.append(f"  {mark} {child.rule:<16} {one_line(child.reason)}")
    return lines


def render_text(result: Evaluation) -> str:
    lines = [
        f"artifact  {result.artifact_name}",
        f"sha256    {result.sha256}",
        f"segment   {result.segment}",
        f"policy    {result.policy.path} (sha256 {result.policy.sha256[:16]}...)",
        *examination_lines(result.examination),
        *finding_lines(result.decision),
        "recorded  nothing (verify does not admit; rollback is checked by admit)",
    ]
    return "\n".join(lines) + "\n"


def render_json(result: Evaluation) -> str:
    return json.dumps(evaluation_to_dict(result), indent=2) + "\n"
