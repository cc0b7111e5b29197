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
from provenance.errors import UsageError
from provenance.inputs.artifact import artifact_from_argument, digest_argument, file_argument
from provenance.record import Admission, Ledger, StateDir, resolve_state_dir
from provenance.record.location import resolve_ledger
from provenance.record.not_admitted import explain_not_admitted, next_step_for, unknown_segment
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
    in the state directory. A "no" says why and what to do (`record.not_admitted`); a segment
    nobody knows is a `UsageError` (exit 2), found before the file is hashed.
    """
    # The cheap checks first (the argument, state, keys, ledger, segment): hashing a large
    # file is the work.
    if digest_argument(artifact) is None:
        file_argument(artifact)
    state = StateDir.open(resolve_state_dir(state_dir), create=False)
    keys, segments = _keys(state.root, site_keys, policy)
    with Ledger.open(resolve_ledger(ledger, state), create=False) as opened:
        unknown = unknown_segment(opened, segment, segments)
        if unknown is not None:
            raise UsageError(unknown)
        digest = artifact_from_argument(artifact).sha256.hex()
        answer = answer_from_signed_records(opened, digest, segment, keys)
        if answer.admitted:
            admission = opened.find_admission(digest, segment)
            return CheckResult(artifact, digest, segment, True, answer.reason, admission)
        if answer.why_not == "no-row":
            why = explain_not_admitted(opened, digest, segment, keys)
        else:
            why = next_step_for(answer, segment)
    return CheckResult(artifact, digest, segment, False, why)


def _keys(
    state_root: Path, site_keys: Sequence[Path], policy: Path | None
) -> tuple[list[PublicKeySigner], list[str]]:
    """The site's public keys, and the policy's segments (none without --policy)."""
    segments: list[str] = []
    if policy is not None:
        # Only with --policy: the ledger path otherwise stays free of the policy loader.
        from provenance.policy import load_policy  # noqa: PLC0415

        loaded = load_policy(policy)
        segments = list(loaded.segments)
        if not site_keys and loaded.site_vsa_key is not None:
            return [loaded.site_vsa_key], segments
    keys = site_public_keys(state_root, site_keys, why="check trusts only signed records")
    return keys, segments
