"""Does an SBOM belong to this artifact, and is that binding strong enough for a policy?"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from provenance.decision.sbom.facts import BINDING_STRENGTH, Binding, SbomFacts
from provenance.evidence.sbom.model import Sbom

if TYPE_CHECKING:
    from provenance.policy.requirements.sbom import BoundRequirement

__all__ = ["binding_satisfies", "by_products_vendor", "names_artifact"]

# The policy's `bound` -> the least `BINDING_STRENGTH` it accepts.
_MINIMUM: dict[BoundRequirement, int] = {"signed": 2, "named": 1, "any": 0}


def names_artifact(sbom: Sbom, sha256_hex: str) -> bool:
    """True if the SBOM's described component (metadata.component in CycloneDX, the described
    package in SPDX) lists `sha256_hex` among its SHA-256 hashes."""
    described = sbom.metadata.component
    if described is None:
        return False
    wanted = sha256_hex.lower()
    return any(h.algorithm == "SHA-256" and h.value == wanted for h in described.hashes)


def binding_satisfies(binding: Binding, required: BoundRequirement) -> bool:
    return BINDING_STRENGTH[binding] >= _MINIMUM[required]


def by_products_vendor(facts: SbomFacts, vendor: str | None, sha256_hex: str) -> SbomFacts:
    """`facts` with a signed binding kept only if the product's own vendor signed it and the
    SBOM describes this artifact (DESIGN.md, rule 1): another vendor's signature proves that
    vendor's statement, not this product's SBOM, and a signed statement about several files
    whose SBOM describes another of them lists that file's components. Otherwise the SBOM is
    `named` if it names the digest, else unbound. `vendor` None: the product is not
    identified, so no signature can bind."""
    signed = facts.binding in ("signed-attestation", "signed-file")
    if facts.sbom is None or not signed:
        return facts
    if vendor is not None and facts.signed_by == vendor and facts.describes_artifact:
        return facts
    if not facts.describes_artifact:
        detail = f"signed by {facts.signed_by} about several files; it describes another"
    else:
        whose = f"the product's vendor {vendor}" if vendor else "an identified product's vendor"
        detail = f"signed by {facts.signed_by}, not by {whose}"
    named = names_artifact(facts.sbom, sha256_hex)
    return replace(facts, binding="named" if named else None, binding_detail=detail)
