"""`provenance check --vsa`: answer the pre-install check from a VSA the gate signed.

Offline, from the VSA alone:
1. the DSSE signature by the site key; an in-toto VSA from this gate, PASSED, about exactly
   this digest, admitting to exactly this segment (`verify_vsa`);
2. its `auditLog`: the checkpoint is signed by the site key, and the inclusion proof leads from
   the audit record's hash at its leaf index to the checkpoint's root (`LogInclusion.verify`).
   A VSA without one (issued before VSAs carried them) is refused: the workstation could not
   later serve as a witness for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from provenance.commands.check import CheckResult
from provenance.errors import UsageError, VerificationFailure
from provenance.inputs.artifact import artifact_from_argument
from provenance.inputs.files import read_bounded
from provenance.transparency.checkpoint import Checkpoint
from provenance.transparency.inclusion import LogInclusion
from provenance.verification.signers import PublicKeySigner, load_public_key
from provenance.verification.site_statements import verify_vsa

__all__ = ["check_vsa"]

MAX_VSA_BYTES = 1024 * 1024


def check_vsa(
    artifact: str,
    *,
    segment: str,
    vsa: Path,
    site_keys: Sequence[Path] = (),
    policy: Path | None = None,
) -> CheckResult:
    """Admitted iff VSA is the site's (its key: SITE_KEYS, else POLICY's site.vsa_key) and
    admits exactly this digest to exactly this segment."""
    digest = artifact_from_argument(artifact).sha256.hex()
    keys: list[PublicKeySigner] = [load_public_key(path) for path in site_keys]
    if policy is not None and not keys:
        # Only with --policy and no --site-key: the VSA path otherwise stays free of the
        # policy loader (YAML, JSON Schema), its start-up budget.
        from provenance.policy import load_policy  # noqa: PLC0415

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
        inclusion, checkpoint = _included(verified.audit_log, vsa, keys)
    except VerificationFailure as failure:
        return CheckResult(artifact, digest, segment, False, str(failure))
    return CheckResult(
        artifact,
        digest,
        segment,
        True,
        f"admitted to {segment} on {verified.verified_at.isoformat()} (VSA {vsa}, signed by "
        f"{verified.signed_by}; audit record {inclusion.leaf_index + 1} included in "
        f"the site's checkpoint at {checkpoint.size} records)",
    )


def _included(
    audit_log: LogInclusion | None, vsa: Path, keys: Sequence[PublicKeySigner]
) -> tuple[LogInclusion, Checkpoint]:
    if audit_log is None:
        raise VerificationFailure(
            f"{vsa}: the VSA carries no audit-log inclusion proof (issued before VSAs carried "
            "one); expected auditLog with a checkpoint: re-admit the file or check against "
            "the ledger",
            check="vsa",
        )
    return audit_log, audit_log.verify(keys, str(vsa))
