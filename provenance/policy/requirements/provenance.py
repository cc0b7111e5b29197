"""`provenance`: what verified SLSA provenance must say about how the artifact was built.

    provenance:
      from: [acme-automation]                 # whose attestations count (default: signed_by's)
      builder_id: "https://github.com/acme-automation/plc-firmware/.github/workflows/release.yml@refs/tags/v*"
      source: "https://github.com/acme-automation/plc-firmware"
      ref: "refs/tags/v*"
      tag_version: ">=4.0,<5"
      build_type: "https://actions.github.io/buildtypes/workflow/v1"
      external_parameters: {workflow.path: .github/workflows/release.yml}
      slsa_build_level: 2
      isolated_builders: ["https://github.com/slsa-framework/slsa-github-generator/.github/workflows/*@refs/tags/v*"]
      vsa: {from: [integrator], policy: "https://integrator.example/policies/ot-*"}

Patterns are globs (`*` within a path segment, `**` across) unless named `*_regex`, which
match in full. How the rule judges them: `provenance.decision.requirements.provenance`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from provenance.policy.requirements._entry import Entry
from provenance.policy.requirements._kind import (
    RequirementHelp,
    RequirementKind,
    RequirementSpec,
    Weakening,
    Weaker,
)
from provenance.policy.requirements._values import VersionRange, read_pattern, read_specifier
from provenance.verification.matching import Pattern

__all__ = ["CLAIMS", "KIND", "ProvenanceSpec", "VsaAcceptance"]

# The claims of the provenance a segment may pin, by their policy names.
CLAIMS = ("builder_id", "build_type", "source", "ref")


@dataclass(frozen=True)
class VsaAcceptance:
    """`vsa`: an upstream verification summary by one of `vendors` stands in for provenance."""

    vendors: tuple[str, ...]
    policy: Pattern
    resource: Pattern | None = None


@dataclass(frozen=True)
class ProvenanceSpec(RequirementSpec):
    vendors: tuple[str, ...] | None = None  # `from`
    # Claim (`CLAIMS`) -> pattern, in that order.
    claims: Mapping[str, Pattern] = field(default_factory=lambda: MappingProxyType({}))
    tag_version: VersionRange | None = None
    # Dotted path into the build's parameters -> glob.
    external_parameters: Mapping[str, Pattern] = field(default_factory=lambda: MappingProxyType({}))
    slsa_build_level: int | None = None
    isolated_builders: tuple[Pattern, ...] = ()
    vsa: VsaAcceptance | None = None


def _parse(entry: Entry) -> ProvenanceSpec:
    claims = {
        name: pattern for name in CLAIMS if (pattern := read_pattern(entry, name)) is not None
    }
    parameters = entry.get("external_parameters")
    level = entry.int("slsa_build_level")
    if level == 3 and not entry.has("isolated_builders"):
        entry.error(
            ("slsa_build_level",),
            "expected isolated_builders with slsa_build_level 3 (which builders the site trusts "
            "as isolated), got none, so no provenance could ever reach level 3",
        )
    return ProvenanceSpec(
        vendors=entry.vendors("from"),
        claims=MappingProxyType(claims),
        tag_version=read_specifier(entry, ("tag_version",), entry.get("tag_version")),
        external_parameters=MappingProxyType(
            {
                path: Pattern.glob(glob)
                for path, glob in (parameters.items() if isinstance(parameters, dict) else ())
                if isinstance(glob, str)
            }
        ),
        slsa_build_level=level,
        isolated_builders=tuple(map(Pattern.glob, entry.texts("isolated_builders"))),
        vsa=_vsa(entry.below("vsa")) if entry.has("vsa") else None,
    )


def _vsa(entry: Entry) -> VsaAcceptance:
    resource = entry.text("resource")
    return VsaAcceptance(
        vendors=entry.vendors("from") or (),
        policy=Pattern.glob(entry.text("policy") or ""),
        resource=Pattern.glob(resource) if resource is not None else None,
    )


def _weakening(inherited: ProvenanceSpec, own: ProvenanceSpec) -> Weakening:
    before, after = inherited.slsa_build_level, own.slsa_build_level
    if before is None:
        return []
    if after is None:
        return [
            Weaker("slsa_build_level", (), f"expected slsa_build_level at least {before}, got none")
        ]
    if after < before:
        problem = f"expected at least {before}, got {after}"
        return [Weaker("slsa_build_level", ("slsa_build_level",), problem)]
    return []


KIND = RequirementKind(
    name="provenance",
    schema="#/$defs/provenance",
    spec=ProvenanceSpec,
    parse=_parse,
    weakening=_weakening,
    help=RequirementHelp(
        "SLSA build provenance from the expected builder and source",
        "A verified SLSA provenance attestation about this digest, signed by the vendor, "
        "whose builder, source, ref and build level match the segment's requirement.",
        "Ask the vendor for the provenance attestation of this release; a mismatch in "
        "builder, source or ref means it was not built the way the policy expects.",
    ),
)
