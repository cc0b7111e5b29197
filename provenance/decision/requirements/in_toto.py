"""`in_toto` (`provenance.policy.requirements.in_toto`): a verified in-toto supply-chain
layout must name the artifact.

The layout is signed by the vendor's layout keys (`vendors.<name>.in_toto`), its links by the
functionaries it names, and the artifact is a product of its last step. Inspections run only
with `--run-inspections`; `inspections: required` fails a layout whose inspections were skipped,
`optional` (the default) passes it and says what was skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.rules import Finding
from provenance.policy.requirements import Requirements
from provenance.policy.requirements.in_toto import InTotoSpec

__all__ = ["RULE", "InTotoLayout"]


@dataclass(frozen=True)
class InTotoLayout:
    vendors: tuple[str, ...] | None
    inspections_required: bool
    name: str = "in_toto"

    def evaluate(self, context: DecisionContext) -> Finding:
        layouts = [
            fact for fact in context.layouts if self.vendors is None or fact.vendor in self.vendors
        ]
        by = f" by {', '.join(self.vendors)}" if self.vendors else ""
        if not layouts:
            return Finding(
                self.name, False, f"expected a verified in-toto layout{by} naming it, got none"
            )
        complete = [fact for fact in layouts if not fact.inspections_skipped]
        chosen = complete[0] if complete else layouts[0]
        evidence = {
            "layout": chosen.layout,
            "vendor": chosen.vendor,
            "steps": list(chosen.steps),
            "inspections_run": list(chosen.inspections_run),
            "inspections_skipped": list(chosen.inspections_skipped),
        }
        steps = ", ".join(chosen.steps)
        if chosen.inspections_skipped:
            skipped = ", ".join(chosen.inspections_skipped)
            if self.inspections_required:
                return Finding(
                    self.name,
                    False,
                    f"expected the layout's inspections to run, got them skipped ({skipped}); "
                    "run with --run-inspections",
                    evidence,
                )
            return Finding(
                self.name,
                True,
                f"layout by {chosen.vendor} verified (steps {steps}); inspections skipped: "
                f"{skipped}",
                evidence,
            )
        return Finding(
            self.name, True, f"layout by {chosen.vendor} verified (steps {steps})", evidence
        )

    def describe(self) -> str:
        by = f" signed by the layout keys of {', '.join(self.vendors)}" if self.vendors else ""
        runs = " with its inspections run" if self.inspections_required else ""
        return f"a verified in-toto layout{by} whose last step produced the artifact{runs}"


def _compile(spec: InTotoSpec, requirements: Requirements) -> InTotoLayout:
    return InTotoLayout(
        vendors=requirements.vendors_counted(spec.vendors),
        inspections_required=spec.inspections == "required",
    )


RULE = RuleKind(InTotoSpec, _compile)
