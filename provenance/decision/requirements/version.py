"""`version`: a PEP 440 specifier set the artifact's version must satisfy, one for every
product or one per product by name.

    version: ">=4.0,<5"
    version: {plc-firmware: ">=4.0,<5", hmi-setup: ">=2.0"}

The product and version come from `provenance.decision.product`: evidence about this digest
by the product's own vendor, else the operator's `--version`; a product that is not
identified, sources that disagree, or a product the mapping does not list fail the rule.
Pre-releases match only if the specifier names one (PEP 440 default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from provenance.decision.context import DecisionContext
from provenance.decision.rules import Finding

__all__ = ["VersionRequirement", "compile_rule", "parse_version"]


def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class _Range:
    specifier: SpecifierSet
    text: str  # as the policy writes it (SpecifierSet reorders its parts)


@dataclass(frozen=True)
class VersionRequirement:
    # Product name -> range; the key None: one range for every product.
    ranges: Mapping[str | None, _Range]
    name: str = "version"

    def _range(self, context: DecisionContext) -> _Range | Finding:
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
        # Explicit: packaging's default for pre-releases has changed between releases.
        if not wanted.specifier.contains(parsed, prereleases=bool(wanted.specifier.prereleases)):
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


def compile_rule(spec: Any, requirements: Mapping[str, Any]) -> VersionRequirement:
    entries: Mapping[str | None, Any] = spec if isinstance(spec, dict) else {None: spec}
    return VersionRequirement(
        {name: _Range(SpecifierSet(str(text)), str(text)) for name, text in entries.items()}
    )
