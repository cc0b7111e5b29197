"""`provenance check FILE --segment S`: the pre-install check on an engineering workstation.

Is this exact file (by SHA-256) admitted to this segment? Answered offline from the ledger,
trusting only what the site key signed (`record.signed_admission`: the admission's own audit
record, in the log its newest checkpoint covers, not withdrawn since), or, by `check_vsa`,
from a VSA the gate signed, so a workstation without the ledger gets the same answer the
gate gave. Loads no Sigstore, in-toto or SBOM library: hashing the file is the real work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from provenance.commands.audit import site_public_keys
from provenance.inputs.artifact import artifact_from_argument
from provenance.record import Admission, Ledger, StateDir, resolve_state_dir
from provenance.record.location import resolve_ledger
from provenance.record.signed_admission import answer_from_signed_records
from provenance.verification.signers import PublicKeySigner

__all__ = ["CheckResult", "check"]


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
    site_keys: Sequence[Path] = (),
    policy: Path | None = None,
    ledger: str | None = None,
) -> CheckResult:
    """Answer from the ledger, read-only, checked against the site's signatures.

    The site's public key: `site_keys`, else the policy's `site.vsa_key`, else `site.key.pub`
    in the state directory.
    """
    digest = artifact_from_argument(artifact).sha256.hex()
    state = StateDir.open(resolve_state_dir(state_dir), create=False)
    keys = _keys(state.root, site_keys, policy)
    with Ledger.open(resolve_ledger(ledger, state), create=False) as opened:
        answer = answer_from_signed_records(opened, digest, segment, keys)
        admission = opened.find_admission(digest, segment) if answer.admitted else None
    return CheckResult(artifact, digest, segment, answer.admitted, answer.reason, admission)


def _keys(
    state_root: Path, site_keys: Sequence[Path], policy: Path | None
) -> list[PublicKeySigner]:
    if not site_keys and policy is not None:
        # Only with --policy: the ledger path otherwise stays free of the policy loader.
        from provenance.policy import load_policy  # noqa: PLC0415

        key = load_policy(policy).site_vsa_key
        if key is not None:
            return [key]
    return site_public_keys(state_root, site_keys, why="check trusts only signed records")
