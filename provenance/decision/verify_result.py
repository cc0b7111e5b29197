"""The outcome of `provenance verify`: a decision, the facts behind it, every check made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from provenance.facts import SignatureFact
from provenance.inputs.artifact import Artifact
from provenance.verification.sigstore.verifier import BundleOutcome

__all__ = ["VerifyResult"]


@dataclass(frozen=True)
class VerifyResult:
    """Verified iff one trust root's run of every check passed; default is failure."""

    artifact: Artifact
    bundle: str
    outcomes: tuple[BundleOutcome, ...]  # one per trust root tried, in order

    @property
    def fact(self) -> SignatureFact | None:
        return next((o.fact for o in self.outcomes if o.fact is not None), None)

    @property
    def decision(self) -> Literal["verified", "failed"]:
        return "verified" if self.fact is not None else "failed"

    @property
    def reason(self) -> str:
        """Why it failed, in one line: each trust root's first failed check."""
        if self.fact is not None:
            return ""
        if not self.outcomes:
            return "no trust root to verify against"
        if len(self.outcomes) == 1:
            return self.outcomes[0].reason
        return "; ".join(f"under {o.trust_root}: {o.reason}" for o in self.outcomes)
