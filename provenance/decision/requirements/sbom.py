"""`sbom` (`provenance.policy.requirements.sbom`): an SBOM must come with the artifact, be
bound to it, and carry minimum elements.

- `required` (default true): without an SBOM the rule fails. false: the rule passes when no
  SBOM was delivered, but one that was delivered is still checked.
- `bound` (default signed): signed = an SBOM attestation or a signed SBOM file about the
  artifact's digest, signed by the product's own vendor; named = at least an unsigned SBOM
  whose metadata.component hashes hold the digest; any = not checked.
- `minimum_elements`: ntia-2021 or cisa-2025; every document field must be present and every
  component field carried by at least `min_coverage` percent of components (default 100).
A delivered SBOM that did not parse always fails, whatever `required` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.rules import Finding
from provenance.decision.sbom.binding import binding_satisfies, by_products_vendor
from provenance.decision.sbom.coverage import measure_coverage
from provenance.decision.sbom.facts import SbomFacts
from provenance.policy.requirements import Requirements
from provenance.policy.requirements.sbom import BoundRequirement, SbomSpec

__all__ = ["RULE", "SbomRequirement"]

_BOUND_WORDS: Mapping[BoundRequirement, str] = {
    "signed": "a signed SBOM attestation or signed SBOM file about the artifact",
    "named": "an SBOM naming the artifact's digest",
    "any": "any SBOM",
}


@dataclass(frozen=True)
class SbomRequirement:
    spec: SbomSpec = field(default_factory=SbomSpec)
    name: str = "sbom"

    def evaluate(self, context: DecisionContext) -> Finding:
        facts = context.sbom_facts
        if facts is not None:
            vendor = context.product.vendor if context.product is not None else None
            facts = by_products_vendor(facts, vendor, context.artifact_sha256)
        return self.check(facts)

    def check(self, facts: SbomFacts | None) -> Finding:
        spec = self.spec
        if facts is not None and facts.problem is not None:
            return Finding(self.name, False, f"expected a valid SBOM, got: {facts.problem}")
        if facts is None or facts.sbom is None:
            if spec.required:
                return Finding(self.name, False, "expected an SBOM for the artifact, got none")
            return Finding(self.name, True, "no SBOM delivered (not required)")
        sbom = facts.sbom
        evidence: dict[str, Any] = {
            "source": facts.source,
            "format": sbom.label,
            "components": len(sbom.components),
            "binding": facts.binding,
        }
        problems = []
        if not binding_satisfies(facts.binding, spec.bound):
            detail = f" ({facts.binding_detail})" if facts.binding_detail else ""
            problems.append(
                f"expected {_BOUND_WORDS[spec.bound]}, got binding {facts.binding or 'none'}"
                f"{detail}"
            )
        if spec.minimum_elements is not None:
            coverage = measure_coverage(sbom, spec.minimum_elements)
            evidence["minimum_elements"] = spec.minimum_elements
            evidence["coverage"] = {f.field: round(f.percent, 1) for f in coverage.fields}
            short = coverage.below(spec.min_coverage)
            if short:
                shown = ", ".join(
                    f"{f.field} {f.percent:.1f}%"
                    if f.scope == "components"
                    else f"{f.field} missing"
                    for f in short
                )
                problems.append(
                    f"expected {spec.minimum_elements} minimum elements in at least "
                    f"{spec.min_coverage:g}% of components, got {shown}"
                )
        if problems:
            return Finding(self.name, False, "; ".join(problems), evidence)
        held = f"bound: {facts.binding}" if facts.binding else "binding not required"
        met = f", {spec.minimum_elements} met" if spec.minimum_elements else ""
        return Finding(
            self.name,
            True,
            f"{sbom.label}, {len(sbom.components)} components, {held}{met}",
            evidence,
        )

    def describe(self) -> str:
        spec = self.spec
        words = f"{'an' if spec.required else 'if delivered, an'} SBOM bound as {spec.bound}"
        if spec.minimum_elements:
            words += (
                f" with {spec.minimum_elements} minimum elements in {spec.min_coverage:g}% "
                "of components"
            )
        return words


def _compile(spec: SbomSpec, requirements: Requirements) -> SbomRequirement:
    return SbomRequirement(spec)


RULE = RuleKind(SbomSpec, _compile)
