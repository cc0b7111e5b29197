"""`provenance ledger migrate`: continue a gate's SQLite log in a PostgreSQL ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from provenance.clock import Clock, utc_now
from provenance.commands.audit import site_public_keys
from provenance.errors import UsageError, VerificationFailure
from provenance.record import Ledger, StateDir, resolve_state_dir
from provenance.record._postgresql import PostgresLocation
from provenance.record.migrate import MigratedLedger, migrate_ledger

__all__ = ["MigrateResult", "ledger_migrate"]


@dataclass(frozen=True)
class MigrateResult:
    """What was migrated, or which side did not pass `audit verify` (nothing migrated)."""

    migrated: MigratedLedger | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.migrated is not None


def ledger_migrate(
    to: str,
    *,
    state_dir: Path | None = None,
    site_keys: Sequence[Path] = (),
    clock: Clock = utc_now,
) -> MigrateResult:
    """Copy the state directory's SQLite ledger into the PostgreSQL database `to`, verified by
    `audit verify` on both sides; mark the SQLite ledger as moved."""
    target = PostgresLocation.parse(to)
    if target is None:
        raise UsageError("--to: expected a postgresql:// URI (the ledger to move the log to)")
    state = StateDir.open(resolve_state_dir(state_dir), create=False)
    keys = site_public_keys(state.root, site_keys, why="ledger migrate verifies both sides")
    with (
        Ledger.open(state.ledger_path, create=False) as source,
        Ledger.open(target, create=True) as destination,
    ):
        try:
            result = migrate_ledger(state, source, destination, site_keys=keys, now=clock())
        except VerificationFailure as failed:
            return MigrateResult(None, str(failed))
    with Ledger.open(state.ledger_path, create=True) as writable:
        if writable.moved_to() is None:
            with writable.transaction() as transaction:
                transaction.mark_moved(target.display, clock())
    return MigrateResult(result)
