"""`licenses` (`provenance.policy.requirements.licenses`): the licences an SBOM's components
may carry, SPDX expressions evaluated properly (AND, OR, WITH; see
`provenance.decision.sbom.licenses`).

Outcomes per component: allowed, denied, unknown (no licence, or not an SPDX licence the
policy lists) and invalid (an expression that does not parse: always a failure). `unknown`
(default deny) says whether unknown licences fail the rule.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.rules import Finding
from provenance.decision.sbom.facts import SbomFacts
from provenance.policy.requirements import Requirements
from provenance.policy.requirements.licenses import LicensesSpec

if TYPE_CHECKING:
    from provenance.decision.sbom.licenses import LicenseJudgement

__all__ = ["RULE", "LicensesRequirement"]

MAX_SHOWN = 5
MAX_EVIDENCE = 100


@dataclass(frozen=True)
class LicensesRequirement:
    spec: LicensesSpec
    name: str = "licenses"
    _cache: dict[Any, LicenseJudgement] = field(default_factory=dict, compare=False, repr=False)

    def evaluate(self, context: DecisionContext) -> Finding:
        return self.check(context.sbom_facts)

    def check(self, facts: SbomFacts | None) -> Finding:
        if facts is not None and facts.problem is not None:
            return Finding(self.name, False, f"expected a valid SBOM, got: {facts.problem}")
        if facts is None or facts.sbom is None:
            return Finding(self.name, False, "expected an SBOM to check licences against, got none")
        from provenance.decision.sbom.licenses import judge_licenses  # noqa: PLC0415

        components = facts.sbom.components
        # Judge each distinct set of licence statements once (SBOMs repeat a few thousands of
        # times), then walk the components only to name examples of what is not allowed.
        statements = Counter(map(attrgetter("licenses"), components))
        judgements = {
            choices: judge_licenses(choices, self.spec.policy, self._cache)
            for choices in statements
        }
        counts: Counter[str] = Counter()
        for choices, judged in judgements.items():
            counts[judged.outcome] += statements[choices]
        examples: dict[str, list[str]] = {"denied": [], "unknown": [], "invalid": []}
        for component in components if counts["allowed"] < len(components) else ():
            judged = judgements[component.licenses]
            if judged.outcome != "allowed" and len(examples[judged.outcome]) < MAX_EVIDENCE:
                label = component.purl or f"{component.name}@{component.version or '?'}"
                why = judged.expression or judged.detail
                if judged.outcome == "invalid":
                    why = judged.detail
                examples[judged.outcome].append(f"{label}: {why}")
        evidence = {"outcomes": dict(counts), **examples}
        failing = ["denied", "invalid"] + (["unknown"] if self.spec.unknown == "deny" else [])
        problems = [
            f"{counts[outcome]} {outcome} ({'; '.join(examples[outcome][:MAX_SHOWN])}"
            + (" ..." if counts[outcome] > MAX_SHOWN else "")
            + ")"
            for outcome in failing
            if counts[outcome]
        ]
        if problems:
            return Finding(
                self.name,
                False,
                "expected licences the policy allows, got " + ", ".join(problems),
                evidence,
            )
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        return Finding(self.name, True, f"licences: {summary or 'no components'}", evidence)

    def describe(self) -> str:
        policy, unknown = self.spec.policy, self.spec.unknown
        parts = []
        if policy.allow is not None:
            parts.append("only " + ", ".join(sorted(policy.allow)))
        if policy.deny:
            parts.append("never " + ", ".join(sorted(policy.deny)))
        parts.append(f"unknown licences {'refused' if unknown == 'deny' else 'accepted'}")
        return "component licences: " + "; ".join(parts)


def _compile(spec: LicensesSpec, requirements: Requirements) -> LicensesRequirement:
    return LicensesRequirement(spec)


RULE = RuleKind(LicensesSpec, _compile)
