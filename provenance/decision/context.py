"""What a decision may look at: verified facts about one artifact, and the admission history."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from provenance.decision.evidence_strength import evidence_strength
from provenance.facts import (
    ApprovalFact,
    AttestationFact,
    LayoutFact,
    ProductVersion,
    PublishedHashFact,
    SbomFacts,
    SignatureFact,
    VulnerabilityFacts,
)
from provenance.scales import Strength

if TYPE_CHECKING:
    from provenance.policy import Product

__all__ = ["AdmissionHistory", "DecisionContext", "NoHistory"]


class AdmissionHistory(Protocol):
    """Read access to earlier admissions (the ledger, inside the admitting transaction)."""

    def newest_version(
        self, product: str, segment: str, key: Callable[[str], Any]
    ) -> str | None: ...


class NoHistory:
    """No earlier admissions (policy tests, dry runs)."""

    def newest_version(self, product: str, segment: str, key: Callable[[str], Any]) -> str | None:
        return None


@dataclass(frozen=True)
class DecisionContext:
    artifact_sha256: str  # hex
    artifact_name: str
    segment: str
    signatures: tuple[SignatureFact, ...]  # verified; vendor set when a policy signer matched
    approvals: tuple[ApprovalFact, ...]  # verified
    product: Product | None  # identified from bound evidence (`decision.product`)
    version: ProductVersion | None  # stated by the product's vendor about this digest
    identification_problem: str | None  # product/version claims that conflict or do not fit
    now: datetime
    history: AdmissionHistory
    attestations: tuple[AttestationFact, ...] = ()  # verified in-toto statements about it
    published_hash: PublishedHashFact | None = None  # the operator's --expected-sha256 matched
    published_hash_mismatch: str | None = None  # ... or did not, and why
    layouts: tuple[LayoutFact, ...] = ()  # verified in-toto layouts naming it
    sbom_facts: SbomFacts | None = None  # the SBOM delivered for it, and how it is bound
    vulnerability_facts: VulnerabilityFacts | None = None  # its components in the vuln. db

    @property
    def evidence_strength(self) -> Strength:
        return self.evidence_strength_by(None)

    def evidence_strength_by(self, vendors: Collection[str] | None) -> Strength:
        """The strongest evidence by these vendors (None: any vendor of the policy)."""
        return evidence_strength(
            self.signatures, self.attestations, self.published_hash, self.layouts, vendors
        )
