"""`provenance verify TARBALL --bundle ATTESTATIONS --npm-package NAME@VERSION`: an npm
package version's registry attestations, checked as `npm audit signatures` checks them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from provenance.clock import Clock, utc_now
from provenance.commands.trust_roots import load_named_trust_root
from provenance.errors import UsageError
from provenance.evidence.npm_attestations import NpmPackage
from provenance.inputs.artifact import artifact_from_argument
from provenance.verification.npm import NpmResult, parse_integrity, verify_npm_attestations
from provenance.verification.npm_registry_keys import RegistryKey, load_registry_keys
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot
from provenance.verification.sigstore.verifier import NamedSigner

__all__ = ["verify_npm"]


def verify_npm(
    tarball: str,
    *,
    attestations: Path,
    package: str,
    registry_keys: Path | Sequence[RegistryKey],
    signers: Sequence[NamedSigner] = (),
    trust_roots: Sequence[str | SigstoreTrustRoot] = ("embedded:production",),
    integrity: str | None = None,
    clock: Clock = utc_now,
) -> NpmResult:
    """Verify the npm registry's attestations file for `package` (NAME@VERSION) about the
    package `tarball`, offline.

    `registry_keys` are npm's registry keys (the `/-/npm/v1/keys` document, or loaded keys):
    injected, never fetched. `signers` are the rules the provenance attestation's identity
    must match. `integrity` is the registry's `sha512-...` for the version, if known. Raises
    `UsageError` if the command cannot run; a verification failure is a result.
    """
    expected = NpmPackage.parse(package)
    digest = parse_integrity(integrity) if integrity is not None else None
    keys = load_registry_keys(registry_keys) if isinstance(registry_keys, Path) else registry_keys
    if not trust_roots:
        raise UsageError("no trust root to verify against")
    roots = [
        r if isinstance(r, SigstoreTrustRoot) else load_named_trust_root(r) for r in trust_roots
    ]
    return verify_npm_attestations(
        attestations,
        artifact_from_argument(tarball),
        package=expected,
        registry_keys=tuple(keys),
        signers=signers,
        trust_roots=roots,
        now=clock(),
        integrity=digest,
    )
