"""`provenance verify`: one artifact, one Sigstore bundle, signer rules, offline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from provenance.clock import Clock, utc_now
from provenance.commands.trust_roots import load_named_trust_root
from provenance.decision.verify_result import VerifyResult
from provenance.errors import EvidenceError, UsageError
from provenance.evidence.pep740 import read_bundle_or_attestation
from provenance.evidence.sigstore_bundle import find_bundle_beside
from provenance.inputs.artifact import artifact_from_argument
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot
from provenance.verification.sigstore.verifier import BundleOutcome, NamedSigner, verify_bundle

__all__ = ["verify"]


def verify(
    artifact: str,
    *,
    signers: Sequence[NamedSigner],
    bundle: Path | None = None,
    trust_roots: Sequence[str | SigstoreTrustRoot] = ("embedded:production",),
    clock: Clock = utc_now,
) -> VerifyResult:
    """Verify a Sigstore bundle for `artifact` (a path, or `sha256:<hex>`), offline.

    `signers` are the rules a signer must match (at least one). `trust_roots` are tried in
    order, each on its own: a bundle is never verified against a mix of two roots. Raises
    `UsageError` if the command cannot run; a verification failure is a result, not an error.
    """
    if not signers:
        raise UsageError(
            "no signer to verify against: give a certificate identity and issuer, a key, "
            "or a policy with vendors"
        )
    if not trust_roots:
        raise UsageError("no trust root to verify against")
    subject = artifact_from_argument(artifact)
    if bundle is None:
        if subject.path is None:
            raise UsageError(f"{artifact}: a digest has no bundle beside it; give --bundle")
        bundle = find_bundle_beside(subject.path)
    # Load every trust root before reading evidence: a broken configuration is exit 2
    # whatever the bundle holds.
    roots = [
        r if isinstance(r, SigstoreTrustRoot) else load_named_trust_root(r) for r in trust_roots
    ]
    try:
        # A PEP 740 attestation is verified as the bundle it is equivalent to.
        parsed = read_bundle_or_attestation(bundle)
    except EvidenceError as malformed:
        # Malformed evidence is a failed verification (exit 1), reported like any other.
        rejected = BundleOutcome.rejected(str(bundle), str(malformed))
        return VerifyResult(artifact=subject, bundle=str(bundle), outcomes=(rejected,))
    now = clock()
    outcomes = []
    for root in roots:
        outcome = verify_bundle(parsed, subject, trust_root=root, signers=signers, now=now)
        outcomes.append(outcome)
        if outcome.passed:
            break
    return VerifyResult(artifact=subject, bundle=str(bundle), outcomes=tuple(outcomes))
