"""`attestations`: predicate types that must be present, verified, about this artifact.

    attestations: {types: ["https://cyclonedx.org/bom", "https://example.com/fat-report/v1"],
                   from: [acme-automation]}

For predicate types this tool does not interpret (a factory acceptance test report, a
vendor's own claims): the attestation must exist and verify, signed by a vendor in `from`
(default: those `signed_by` requires, else any vendor of the policy).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import signed_by
from provenance.decision.rules import Finding

__all__ = ["RequiredAttestations", "compile_rule"]


@dataclass(frozen=True)
class RequiredAttestations:
    types: tuple[str, ...]
    vendors: tuple[str, ...] | None
    name: str = "attestations"

    def evaluate(self, context: DecisionContext) -> Finding:
        present: dict[str, list[str]] = {}
        for fact in context.attestations:
            vendor = fact.signature.vendor
            if vendor is not None and (self.vendors is None or vendor in self.vendors):
                present.setdefault(fact.predicate_type, []).append(fact.signature.bundle)
        missing = [kind for kind in self.types if kind not in present]
        evidence = {"found": {kind: present[kind] for kind in self.types if kind in present}}
        if missing:
            by = f" signed by {', '.join(self.vendors)}" if self.vendors else ""
            return Finding(
                self.name,
                False,
                f"expected verified attestations{by} of type {', '.join(missing)}, got none",
                evidence,
            )
        return Finding(self.name, True, f"verified: {', '.join(self.types)}", evidence)

    def describe(self) -> str:
        by = f" signed by {', '.join(self.vendors)}" if self.vendors else ""
        return f"verified attestations{by} of type {', '.join(self.types)}"


def compile_rule(spec: Any, requirements: Mapping[str, Any]) -> RequiredAttestations:
    vendors = spec.get("from")
    if vendors is None and "signed_by" in requirements:
        vendors = signed_by.compile_rule(requirements["signed_by"], requirements).vendors
    return RequiredAttestations(
        types=tuple(spec["types"]), vendors=tuple(vendors) if vendors is not None else None
    )
