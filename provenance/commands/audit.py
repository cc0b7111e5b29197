"""`provenance audit verify | checkpoint | export`: the evidence an auditor asks for, and its
integrity, including against witnesses kept away from the state directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from provenance.errors import UsageError, VerificationFailure
from provenance.record import (
    ConsistencyReport,
    Ledger,
    StateDir,
    check_consistency,
    export_csv,
    export_json,
    resolve_state_dir,
    verify_audit_chain,
)
from provenance.record.location import resolve_ledger
from provenance.record.witnesses import load_witnesses
from provenance.transparency.checkpoint import parse_checkpoint
from provenance.transparency.note_keys import verify_note
from provenance.verification.signers import PublicKeySigner, load_public_key

__all__ = ["SITE_PUBLIC_KEY_FILE", "AuditVerifyResult", "CheckpointResult", "audit_checkpoint",
           "audit_export", "audit_verify", "site_public_keys"]  # fmt: skip

SITE_PUBLIC_KEY_FILE = "site.key.pub"  # beside the default site key


def site_public_keys(
    state_root: Path, explicit: Sequence[Path], *, why: str
) -> list[PublicKeySigner]:
    """`--site-key` files, else `site.key.pub` in the state directory; `UsageError` if none.

    A copy kept outside the state directory is the one to give: whoever can replace the state
    directory's public key can sign a whole new log with their own.
    """
    paths = list(explicit)
    if not paths:
        default = state_root / SITE_PUBLIC_KEY_FILE
        if not default.exists():
            raise UsageError(
                f"{why}: expected the site's public key: give --site-key PUB (no "
                f"{SITE_PUBLIC_KEY_FILE} in the state directory {state_root})"
            )
        paths = [default]
    return [load_public_key(path) for path in paths]


@dataclass(frozen=True)
class AuditVerifyResult:
    report: ConsistencyReport
    keys: tuple[PublicKeySigner, ...]
    witness_problems: tuple[str, ...]  # witnesses that did not verify themselves

    @property
    def ok(self) -> bool:
        return self.report.ok and not self.witness_problems

    @property
    def problems(self) -> tuple[str, ...]:
        return self.witness_problems + self.report.problems


def audit_verify(
    *,
    state_dir: Path | None = None,
    site_keys: Sequence[Path] = (),
    witnesses: Sequence[Path] = (),
    hash_store_files: bool = True,
    ledger: str | None = None,
) -> AuditVerifyResult:
    """Check the audit chain and its signatures, the Merkle tree and every checkpoint, the
    ledger against the approved store, and the log against each witness (a checkpoint or VSA
    kept elsewhere)."""
    state = StateDir.open(resolve_state_dir(state_dir), create=False)
    keys = site_public_keys(state.root, site_keys, why="audit verify checks signed records")
    loaded, witness_problems = load_witnesses(witnesses, keys)
    with Ledger.open(resolve_ledger(ledger, state), create=False) as opened:
        report = check_consistency(
            state, opened, site_keys=keys, witnesses=loaded, hash_store_files=hash_store_files
        )
    return AuditVerifyResult(report, tuple(keys), tuple(witness_problems))


@dataclass(frozen=True)
class CheckpointResult:
    """The newest checkpoint as a signed note, or why it is not worth keeping."""

    note: str | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.note is not None


def audit_checkpoint(
    *, state_dir: Path | None = None, site_keys: Sequence[Path] = (), ledger: str | None = None
) -> CheckpointResult:
    """The newest signed checkpoint, once it verifies: signed by the site key, for the whole
    log, with the root of the stored tree (a witness is worth keeping only if it is right).

    `UsageError` if the log has no checkpoint yet.
    """
    state = StateDir.open(resolve_state_dir(state_dir), create=False)
    keys = site_public_keys(state.root, site_keys, why="audit checkpoint verifies the checkpoint")
    with Ledger.open(resolve_ledger(ledger, state), create=False) as opened, opened.snapshot():
        latest = opened.latest_checkpoint()
        count = opened.record_count()
        if latest is None:
            raise UsageError(
                f"ledger {opened.location}: the audit log has no signed checkpoint yet "
                f"({count} records); the next `provenance admit` signs one"
            )
        try:
            checkpoint = parse_checkpoint(latest[1])
            verify_note(checkpoint, keys)
        except VerificationFailure as failure:
            return CheckpointResult(None, str(failure))
        if checkpoint.size != count or checkpoint.size != latest[0]:
            return CheckpointResult(
                None,
                f"the newest checkpoint is for {checkpoint.size} records, the log holds {count}; "
                "run `provenance audit verify`",
            )
        if opened.tree().root(count) != checkpoint.root_hash:
            return CheckpointResult(
                None,
                "the newest checkpoint's root is not the stored tree's root; run `provenance "
                "audit verify`",
            )
    return CheckpointResult(checkpoint.note)


def audit_export(
    *,
    state_dir: Path | None = None,
    since: datetime | None = None,
    output_format: Literal["json", "csv"] = "json",
    ledger: str | None = None,
) -> str:
    """The records since a date, each with the checkpoint signed with it; JSON also carries the
    whole chain's check result and the newest checkpoint."""
    state = StateDir.open(resolve_state_dir(state_dir), create=False)
    with Ledger.open(resolve_ledger(ledger, state), create=False) as opened, opened.snapshot():
        records = list(opened.audit_records(since=since))
        checkpoints = opened.checkpoints_between(records[0].seq, records[-1].seq) if records else {}
        if output_format == "csv":
            return export_csv(records, checkpoints)
        verification = verify_audit_chain(opened.audit_records())
        latest = opened.latest_checkpoint()
        origin = opened.log_origin()
    return export_json(
        records,
        verification,
        checkpoints=checkpoints,
        latest_checkpoint=None if latest is None else latest[1],
        origin=origin,
    )
