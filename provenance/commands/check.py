"""`provenance check FILE --segment S`: the pre-install check on an engineering workstation.

Is this exact file (by SHA-256) admitted to this segment? Answered offline from the ledger,
or, by `check_vsa`, from a VSA the gate signed, so a workstation without the ledger gets the
same answer the gate gave. Loads no Sigstore, in-toto or SBOM library, and on the ledger path
not even the policy loader: hashing the file is the only real work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provenance.inputs.artifact import artifact_from_argument
from provenance.record import Admission, Ledger, StateDir, resolve_state_dir

__all__ = ["CheckResult", "check"]


@dataclass(frozen=True)
class CheckResult:
    artifact: str
    sha256: str
    segment: str
    admitted: bool
    how: str  # what vouched for it ("ledger ...", "VSA ..."), or why it is not admitted
    admission: Admission | None = None


def check(artifact: str, *, segment: str, state_dir: Path | None = None) -> CheckResult:
    """Answer from the ledger, read-only. (`check_vsa` answers from a VSA instead.)"""
    digest = artifact_from_argument(artifact).sha256.hex()
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
