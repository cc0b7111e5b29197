"""provenance: a zero-trust gate deciding, from cryptographic evidence, whether third-party
software may enter an OT network segment, and keeping the proof.

The public API is what `__all__` lists; everything else is internal and may change. Names
load on first use, so importing `provenance` (and running `provenance --help`) stays cheap.

    >>> import provenance
    >>> result = provenance.verify(
    ...     "firmware.bin",
    ...     signers=[provenance.NamedSigner(provenance.SigstoreIdentity(
    ...         identity=provenance.Pattern.exact("https://github.com/acme/fw/.github/workflows/release.yml@refs/tags/v1.0"),
    ...         issuer=provenance.Pattern.exact("https://token.actions.githubusercontent.com"),
    ...     ))],
    ... )  # doctest: +SKIP
    >>> result.decision  # doctest: +SKIP
    'verified'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from provenance.commands.verify import verify
    from provenance.decision.verify_result import VerifyResult
    from provenance.errors import (
        EvidenceError,
        InputError,
        PolicyError,
        ProvenanceError,
        TrustRootError,
        UsageError,
        VerificationFailure,
    )
    from provenance.facts import SignatureFact
    from provenance.policy import Policy, load_policy
    from provenance.verification.matching import Pattern
    from provenance.verification.signers import PublicKeySigner, SigstoreIdentity, load_public_key
    from provenance.verification.sigstore.trust_root import SigstoreTrustRoot, load_trust_root
    from provenance.verification.sigstore.verifier import NamedSigner

__all__ = [
    "EvidenceError",
    "InputError",
    "NamedSigner",
    "Pattern",
    "Policy",
    "PolicyError",
    "ProvenanceError",
    "PublicKeySigner",
    "SignatureFact",
    "SigstoreIdentity",
    "SigstoreTrustRoot",
    "TrustRootError",
    "UsageError",
    "VerificationFailure",
    "VerifyResult",
    "__version__",
    "load_policy",
    "load_public_key",
    "load_trust_root",
    "verify",
]

_HOME = {
    "verify": "provenance.commands.verify",
    "VerifyResult": "provenance.decision.verify_result",
    "EvidenceError": "provenance.errors",
    "InputError": "provenance.errors",
    "PolicyError": "provenance.errors",
    "ProvenanceError": "provenance.errors",
    "TrustRootError": "provenance.errors",
    "UsageError": "provenance.errors",
    "VerificationFailure": "provenance.errors",
    "SignatureFact": "provenance.facts",
    "Policy": "provenance.policy",
    "load_policy": "provenance.policy",
    "Pattern": "provenance.verification.matching",
    "PublicKeySigner": "provenance.verification.signers",
    "SigstoreIdentity": "provenance.verification.signers",
    "load_public_key": "provenance.verification.signers",
    "SigstoreTrustRoot": "provenance.verification.sigstore.trust_root",
    "load_trust_root": "provenance.verification.sigstore.trust_root",
    "NamedSigner": "provenance.verification.sigstore.verifier",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'provenance' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
