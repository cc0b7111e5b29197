"""A private Sigstore instance for hermetic tests. TEST-ONLY: never used by verification.

`PrivateSigstoreInstance.create(seed=...)` stands in for Fulcio, a CT log and Rekor at once:
it writes a `trusted_root.json` and mints bundles (hashedrekord, DSSE, managed key) that
sigstore-python 4.5 verifies offline against that root, plus deliberately defective variants
(knobs) for negative tests. Everything is deterministic given the seed and the arguments.

Nothing under `provenance.testing` may be imported by the verification pipeline: a bundle
from here proves only that the test instance signed it.
"""

from __future__ import annotations

from provenance.testing.bundles import BUNDLE_MEDIA_TYPES, BundleMediaType, bundle_json
from provenance.testing.certificates import OIDC_ISSUER_V1_OID, OIDC_ISSUER_V2_OID
from provenance.testing.instance import CertificateKnobs, LogKnobs, PrivateSigstoreInstance
from provenance.testing.keys import derive_ec_key

__all__ = [
    "BUNDLE_MEDIA_TYPES",
    "OIDC_ISSUER_V1_OID",
    "OIDC_ISSUER_V2_OID",
    "BundleMediaType",
    "CertificateKnobs",
    "LogKnobs",
    "PrivateSigstoreInstance",
    "bundle_json",
    "derive_ec_key",
]
