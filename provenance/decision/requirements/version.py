"""`version` (`provenance.policy.requirements.version`): a PEP 440 specifier set the
artifact's version must satisfy, one for every product or one per product by name.

The product and version come from `provenance.decision.product`: evidence about this digest
by the product's own vendor, else the operator's `--version`; a product that is not
identified, sources that disagree, or a product the mapping does not list fail the rule.
Pre-releases match only if the specifier names one (PEP 440 default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.rules import Finding
from provenance.policy.requirements import Requirements, VersionRange
from provenance.policy.requirements.version import VersionSpec

__all__ = ["RULE", "VersionRequirement", "parse_version"]


def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class VersionRequirement:
    # Product name -> range; the key None: one range for every product.
    ranges: Mapping[str | None, VersionRange]
    name: str = "version"

    def _range(self, context: DecisionContext) -> VersionRange | Finding:
        """The range for the artifact's product, or the failed finding saying why none."""
        if context.identification_problem:
            return Finding(self.name, False, context.identification_problem)
        product = context.product
        if product is None:
            return Finding(self.name, False, "expected an identified product, got none")
        wanted = self.ranges.get(product.name, self.ranges.get(None))
        if wanted is None:
            listed = ", ".join(sorted(str(name) for name in self.ranges))
            return Finding(
                self.name,
                False,
                f"expected one of the products this segment gives a version range ({listed}), "
                f"got {product.name}",
            )
        return wanted

    def evaluate(self, context: DecisionContext) -> Finding:
        wanted = self._range(context)
        if isinstance(wanted, Finding):
            return wanted
        product = context.product
        assert product is not None  # `_range` found one
        if context.version is None:
            return Finding(
                self.name,
                False,
                f"expected a version of {product.name} matching {wanted.text}, got none stated "
                "by its vendor about this file (a signature from a version tag, signed SLSA "
                "provenance or SBOM for it), nor --version",
            )
        version = context.version
        evidence = {"product": product.purl, "version": version.value, "source": version.source}
        parsed = parse_version(version.value)
        if parsed is None:
            return Finding(
                self.name, False, f"expected a PEP 440 version, got {version.value!r}", evidence
            )
        if not wanted.contains(parsed):
            return Finding(
                self.name,
                False,
                f"expected a version matching {wanted.text}, got {parsed} ({version.source})",
                evidence,
            )
        return Finding(
            self.name, True, f"{parsed} matches {wanted.text} ({version.source})", evidence
        )

    def describe(self) -> str:
        if list(self.ranges) == [None]:
            return f"a version matching {self.ranges[None].text}, stated by the product's vendor"
        each = ", ".join(f"{name} {wanted.text}" for name, wanted in self.ranges.items())
        return f"a version stated by the product's vendor, by product: {each} (others denied)"


def _compile(spec: VersionSpec, requirements: Requirements) -> VersionRequirement:
    return VersionRequirement(spec.ranges)


RULE = RuleKind(VersionSpec, _compile)
