"""Does an SBOM belong to this artifact, and is that binding strong enough for a policy?"""

from __future__ import annotations

from typing import Literal

from provenance.decision.sbom.facts import BINDING_STRENGTH, Binding
from provenance.evidence.sbom.model import Sbom

__all__ = ["BoundRequirement", "binding_satisfies", "names_artifact"]

# The policy's `bound`: signed (an attestation or a signed file), named (at least an unsigned
# SBOM naming the digest), any (the SBOM need not be tied to the artifact at all).
BoundRequirement = Literal["signed", "named", "any"]
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
