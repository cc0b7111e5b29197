"""How strongly the artifact's integrity and origin were verified, on one ordered scale
(`provenance.scales.STRENGTHS`).

Auditors ask how integrity was verified (NERC CIP-010 R1.6); this answers with the strongest
piece of verified evidence by a vendor of the policy:

1. `attested-build`: verified SLSA provenance (or a PASSED upstream VSA, or an in-toto layout
   whose last step produced it) about this digest; who built it, from what, is signed.
2. `signed-identity`: a signature over the artifact itself (Sigstore, key, X.509 CMS or
   Authenticode, OpenPGP), or over a statement whose only subject it is, by a vendor signer.
3. `signed-checksum-list`: the artifact is listed in a checksum list whose signature verified,
   or is one of several subjects of a signed statement (a signed list of digests by another
   name).
4. `published-hash`: its SHA-256 equals one the operator copied from the vendor's portal.
5. `none`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from provenance.evidence.slsa import BuildProvenance, VerificationSummary
from provenance.facts import AttestationFact, LayoutFact, PublishedHashFact, SignatureFact
from provenance.scales import Strength

__all__ = ["evidence_strength"]


def _attests_build(fact: AttestationFact) -> bool:
    claims = fact.claims
    if isinstance(claims, VerificationSummary):
        return claims.verification_result == "PASSED"
    return isinstance(claims, BuildProvenance)


def evidence_strength(
    signatures: Sequence[SignatureFact],
    attestations: Sequence[AttestationFact],
    published_hash: PublishedHashFact | None,
    layouts: Sequence[LayoutFact] = (),
    vendors: Collection[str] | None = None,
) -> Strength:
    """The strongest evidence by a vendor of the policy, or only by `vendors` if given (a
    segment's minimum counts the vendors it requires, not whoever else signed)."""

    def counts(vendor: str | None) -> bool:
        return vendor is not None and (vendors is None or vendor in vendors)

    if any(counts(layout.vendor) for layout in layouts) or any(
        counts(fact.signature.vendor) and _attests_build(fact) for fact in attestations
    ):
        return "attested-build"
    by_vendor = [fact for fact in signatures if counts(fact.vendor)]
    if any(fact.about_this_digest_only for fact in by_vendor):
        return "signed-identity"
    if by_vendor:
        return "signed-checksum-list"
    if published_hash is not None:
        return "published-hash"
    return "none"
