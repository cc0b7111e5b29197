"""`version`: a PEP 440 specifier set the artifact's version must satisfy.

    version: ">=4.0,<5"

The version comes from signed evidence (the tag in a verified signer identity) or, failing
that, from the operator (`--version`); if both exist and disagree, the rule fails.
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
class VersionRequirement:
    specifier: SpecifierSet
    text: str  # as the policy writes it (SpecifierSet reorders its parts)
    name: str = "version"

    def evaluate(self, context: DecisionContext) -> Finding:
        wanted = self.text
        if context.identification_problem:
            return Finding(self.name, False, context.identification_problem)
        if context.version is None:
            return Finding(
                self.name,
                False,
                f"expected a version matching {wanted}, got none (sign from a version tag, "
                "or give --version)",
            )
        evidence = {"version": context.version.value, "source": context.version.source}
        parsed = parse_version(context.version.value)
        if parsed is None:
            return Finding(
                self.name,
                False,
                f"expected a PEP 440 version, got {context.version.value!r}",
                evidence,
            )
        # Explicit: packaging's default for pre-releases has changed between releases.
        if not self.specifier.contains(parsed, prereleases=bool(self.specifier.prereleases)):
            return Finding(
                self.name,
                False,
                f"expected a version matching {wanted}, got {parsed} ({context.version.source})",
                evidence,
            )
        return Finding(
            self.name, True, f"{parsed} matches {wanted} ({context.version.source})", evidence
        )

    def describe(self) -> str:
        return f"a version matching {self.text}"


def compile_rule(spec: Any, requirements: Mapping[str, Any]) -> VersionRequirement:
    return VersionRequirement(specifier=SpecifierSet(str(spec)), text=str(spec))
