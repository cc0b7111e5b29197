"""`provenance check FILE --segment S`: the pre-install check on an engineering workstation.

Is this exact file (by SHA-256) admitted to this segment? Answered offline from the ledger,
or from a VSA the gate signed (`--vsa`, checked with the site's public key), so a workstation
without the ledger gets the same answer the gate gave. Loads no Sigstore, in-toto or SBOM
library: hashing the file is the only real work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import UsageError, VerificationFailure
from provenance.inputs.artifact import artifact_from_argument
from provenance.inputs.files import read_bounded
from provenance.policy import load_policy
from provenance.record import Admission, Ledger, StateDir, resolve_state_dir
from provenance.verification.signers import PublicKeySigner, load_public_key
from provenance.verification.site_statements import verify_vsa

__all__ = ["CheckResult", "check"]

MAX_VSA_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CheckResult:
    artifact: str
    sha256: str
    segment: str
    admitted: bool
    how: str  # what vouched for it ("ledger ...", "VSA ..."), or why it is not admitted
    admission: Admission | None = None


def check(
    artifact: str,
    *,
    segment: str,
    state_dir: Path | None = None,
    vsa: Path | None = None,
    site_keys: Sequence[Path] = (),
    policy: Path | None = None,
) -> CheckResult:
    subject = artifact_from_argument(artifact)
    digest = subject.sha256.hex()
    if vsa is not None:
        return _check_vsa(
            artifact=artifact,
            digest=digest,
            segment=segment,
            vsa=vsa,
            site_keys=site_keys,
            policy=policy,
        )
    state = StateDir.open(resolve_state_dir(state_dir), create=False)
    with Ledger.open(state.ledger_path, create=False) as ledger:
        admission = ledger.find_admission(digest, segment)
    if admission is None:
        return CheckResult(
            artifact, digest, segment, False, f"not admitted to {segment} (sha256:{digest})"
        )
    return CheckResult(
        artifact,
        digest,
        segment,
        True,
        f"admitted to {segment} on {admission.decided_at.isoformat()} under "
        f"{admission.policy_path} (sha256 {admission.policy_sha256[:12]}...)",
        admission,
    )


def _check_vsa(
    *,
    artifact: str,
    digest: str,
    segment: str,
    vsa: Path,
    site_keys: Sequence[Path],
    policy: Path | None,
) -> CheckResult:
    keys: list[PublicKeySigner] = [load_public_key(path) for path in site_keys]
    if policy is not None and not keys:
        site_key = load_policy(policy).site_vsa_key
        keys = [site_key] if site_key else []
    if not keys:
        raise UsageError(
            "a VSA is checked with the site's public key: give --site-key PUB, or a --policy "
            "whose site.vsa_key names it"
        )
    data = read_bounded(vsa, MAX_VSA_BYTES, "VSA")
    if data is None:
        raise UsageError(f"{vsa}: larger than {MAX_VSA_BYTES} bytes; not a VSA")
    try:
        verified = verify_vsa(
            data, str(vsa), artifact_sha256=digest, segment=segment, site_keys=keys
        )
    except VerificationFailure as failure:
        return CheckResult(artifact, digest, segment, False, str(failure))
    return CheckResult(
        artifact,
        digest,
        segment,
        True,
        f"admitted to {segment} on {verified.verified_at.isoformat()} (VSA {vsa}, signed by "
        f"{verified.signed_by})",
    )
