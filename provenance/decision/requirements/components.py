"""`components` (`provenance.policy.requirements.components`): which components an SBOM may
list. A component matches a pattern by its purl (a component without a purl can match only
supplier patterns; `provenance.policy.requirements.component_patterns`).
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.rules import Finding
from provenance.decision.sbom.components import prefilter
from provenance.decision.sbom.facts import SbomFacts
from provenance.evidence.sbom.model import Component
from provenance.evidence.sbom.purl import split_purl
from provenance.policy.requirements import Requirements
from provenance.policy.requirements.components import ComponentsSpec

__all__ = ["RULE", "ComponentsRequirement"]

MAX_SHOWN = 5  # components named in a reason
MAX_EVIDENCE = 100  # components listed in a finding's evidence


def _label(component: Component) -> str:
    return component.purl or f"{component.name}@{component.version or '?'}"


@dataclass(frozen=True)
class ComponentsRequirement:
    spec: ComponentsSpec
    name: str = "components"

    def evaluate(self, context: DecisionContext) -> Finding:
        return self.check(context.sbom_facts)

    def check(self, facts: SbomFacts | None) -> Finding:
        if facts is not None and facts.problem is not None:
            return Finding(self.name, False, f"expected a valid SBOM, got: {facts.problem}")
        if facts is None or facts.sbom is None:
            return Finding(
                self.name, False, "expected an SBOM to check components against, got none"
            )
        deny, allow = self.spec.deny, self.spec.allow
        denied: list[str] = []
        not_allowed: list[str] = []
        # Without an allow list only components a deny pattern may match need the full test.
        components = facts.sbom.components
        candidates = prefilter(deny) if allow is None else None
        for component in candidates(components) if candidates is not None else components:
            purl = split_purl(component.purl) if component.purl else None
            for pattern in deny:
                matched = pattern.matches(component, purl)
                if matched is not False:  # None: version not comparable, fail closed
                    unsure = " (version not comparable)" if matched is None else ""
                    denied.append(f"{_label(component)} matches deny {pattern.text}{unsure}")
                    break
            if allow is not None and not any(p.matches(component, purl) for p in allow):
                not_allowed.append(_label(component))
        evidence = {"denied": denied[:MAX_EVIDENCE], "not_allowed": not_allowed[:MAX_EVIDENCE]}
        problems = []
        if denied:
            problems.append(
                f"expected no denied component, got {len(denied)}: {'; '.join(denied[:MAX_SHOWN])}"
                + (" ..." if len(denied) > MAX_SHOWN else "")
            )
        if not_allowed:
            problems.append(
                f"expected only allowed components, got {len(not_allowed)} others: "
                f"{', '.join(not_allowed[:MAX_SHOWN])}"
                + (" ..." if len(not_allowed) > MAX_SHOWN else "")
            )
        if problems:
            return Finding(self.name, False, "; ".join(problems), evidence)
        return Finding(
            self.name, True, f"{len(facts.sbom.components)} components, none denied", evidence
        )

    def describe(self) -> str:
        deny, allow = self.spec.deny, self.spec.allow
        parts = []
        if deny:
            parts.append("no component matching " + " or ".join(p.text for p in deny))
        if allow is not None:
            parts.append("only components matching " + " or ".join(p.text for p in allow))
        return "; ".join(parts)


def _compile(spec: ComponentsSpec, requirements: Requirements) -> ComponentsRequirement:
    return ComponentsRequirement(spec)


RULE = RuleKind(ComponentsSpec, _compile)
