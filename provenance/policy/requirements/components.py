"""`components`: which components an SBOM may list.

    components:
      deny: ["pkg:npm/event-stream@3.3.6", {supplier: "Blocked Corp"},
             {purl: "pkg:npm/left-pad", versions: "vers:npm/<1.3.0"}]
      allow: ["pkg:pypi/**", "pkg:generic/acme/**"]   # if present, every component must match

Patterns and version ranges: `component_patterns`.
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance.policy.requirements._entry import Entry
from provenance.policy.requirements._kind import RequirementHelp, RequirementKind, RequirementSpec
from provenance.policy.requirements.component_patterns import (
    ComponentPattern,
    PatternError,
    compile_pattern,
)

__all__ = ["KIND", "ComponentsSpec"]


@dataclass(frozen=True)
class ComponentsSpec(RequirementSpec):
    deny: tuple[ComponentPattern, ...] = ()
    allow: tuple[ComponentPattern, ...] | None = None  # None: no allow list


def _patterns(entry: Entry, key: str) -> tuple[ComponentPattern, ...] | None:
    listed = entry.get(key)
    if not isinstance(listed, list):
        return None
    patterns = []
    for index, pattern in enumerate(listed):
        if isinstance(pattern, str | dict):
            try:
                patterns.append(compile_pattern(pattern))
            except PatternError as exc:
                entry.error((key, index), str(exc))
    return tuple(patterns)


def _parse(entry: Entry) -> ComponentsSpec:
    return ComponentsSpec(_patterns(entry, "deny") or (), _patterns(entry, "allow"))


KIND = RequirementKind(
    name="components",
    schema="#/$defs/components",
    spec=ComponentsSpec,
    parse=_parse,
    help=RequirementHelp(
        "No denied component in the SBOM",
        "No component in the SBOM matches the segment's deny list (package URL and versions).",
        "Ask the vendor for a release without the denied component or a VEX statement.",
    ),
)
