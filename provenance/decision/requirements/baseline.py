"""The rule every segment starts with: no verified vendor signature, no entry (default deny)."""

from __future__ import annotations

from dataclasses import dataclass

from provenance.decision.context import DecisionContext
from provenance.decision.requirements.finding_evidence import signature_evidence
from provenance.decision.rules import Finding

__all__ = ["OperatorHash", "VendorSignature"]


@dataclass(frozen=True)
class VendorSignature:
    # Only a segment whose `evidence.minimum` is `published-hash` lets an operator-copied
    # hash stand in for a vendor's signature; it is then the reason recorded.
    accept_published_hash: bool = False
    name: str = "vendor_signature"

    def evaluate(self, context: DecisionContext) -> Finding:
        signed = [fact for fact in context.signatures if fact.vendor is not None]
        if not signed and self.accept_published_hash and context.published_hash is not None:
            return Finding(
                self.name,
                True,
                "no vendor signature; the SHA-256 the operator copied from the vendor matches "
                "(published-hash, the weakest evidence, allowed by this segment)",
            )
        if not signed:
            return Finding(
                self.name,
                False,
                "expected a verified signature by a vendor of this policy, got none",
            )
        vendors = sorted({fact.vendor for fact in signed if fact.vendor})
        return Finding(
            self.name,
            True,
            f"verified signature by {', '.join(vendors)}",
            {"signatures": [signature_evidence(fact) for fact in signed]},
        )

    def describe(self) -> str:
        if self.accept_published_hash:
            return (
                "a verified signature by one of the policy's vendors, or, in its place, the "
                "SHA-256 the operator copied from the vendor (--expected-sha256): this "
                "segment's minimum evidence is published-hash"
            )
        return "a verified signature by one of the policy's vendors (always required)"


@dataclass(frozen=True)
class OperatorHash:
    """Added when the operator gave `--expected-sha256`: the file must be the one the vendor's
    portal describes, whatever else verified (a mismatch is never outweighed by a signature:
    it says this is not the file the operator meant to install)."""

    name: str = "published_hash"

    def evaluate(self, context: DecisionContext) -> Finding:
        if context.published_hash is not None:
            return Finding(
                self.name, True, "matches the SHA-256 the operator copied from the vendor"
            )
        return Finding(
            self.name,
            False,
            context.published_hash_mismatch
            or "expected the SHA-256 the operator gave, got no comparison",
        )

    def describe(self) -> str:
        return "the SHA-256 the operator gave with --expected-sha256"
