"""Moving a gate's log from its SQLite ledger to a PostgreSQL one (`provenance ledger migrate`).

The log keeps its name, records, signatures and checkpoints: witnesses and VSAs issued before
still hold against it. In order:

1. `audit verify` on the SQLite ledger (records, signatures with the site keys, tree,
   checkpoints, admissions against their records and stored files): a damaged log is not
   copied.
2. In ONE write transaction on PostgreSQL: the target must hold no log (or exactly this one,
   from an interrupted earlier run: then only step 4 remains); it adopts the log's name, then
   every record with its checkpoint and key id, the tree it implies, and every admission.
3. `audit verify` on PostgreSQL, inside that transaction, before COMMIT: what is committed is
   what verified, and both sides must agree (records, newest checkpoint, admissions).
4. The SQLite ledger is marked as moved (one row; nothing in it is removed): no gate can
   append to the old copy, which would fork the log under one name. It stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from provenance.record.consistency import ConsistencyReport, check_consistency
from provenance.record.errors import LedgerError, LogDamaged
from provenance.record.ledger import Ledger
from provenance.record.state import StateDir
from provenance.verification.signers import PublicKeySigner

__all__ = ["MigratedLedger", "migrate_ledger"]


@dataclass(frozen=True)
class MigratedLedger:
    origin: str
    records: int
    admissions: int
    newest_checkpoint: int | None
    copied: bool  # False: the target held this log already (an interrupted earlier run)


def migrate_ledger(
    state: StateDir,
    source: Ledger,
    target: Ledger,
    *,
    site_keys: Sequence[PublicKeySigner],
    now: datetime,
) -> MigratedLedger:
    """Steps 1 to 3 of the module docstring (`source` may be opened read-only); the caller
    marks the source as moved (step 4) once this has returned."""
    # 1.
    before = check_consistency(state, source, site_keys=site_keys)
    _require_ok(before, source.location)
    origin = source.log_origin()
    adopted = source.adopted_log()
    how = "migrated" if adopted is None else adopted[1]
    count = before.log.tree_size
    copied = False
    with target.transaction() as transaction:
        # 2.
        held, held_adopted = target.record_count(), target.adopted_log()
        if held or held_adopted is not None:
            same = held_adopted is not None and held_adopted[0] == origin and held == count
            if not same or _head(target) != _head(source):
                raise LedgerError(
                    f"ledger {target.location}: already holds a log ({held} records, "
                    f"{target.log_origin()}); expected an empty database for `ledger migrate` "
                    "(nothing was changed)"
                )
        else:
            copied = True
            transaction.adopt_log(origin, how, now)
            notes = source.checkpoints_with_keys(1, count)
            with source.snapshot():
                for record in source.audit_records():
                    transaction.append_received(record, notes.get(record.seq))
                for entry in source.admission_entries_by_audit_seq():
                    transaction.record_received_admission(entry.admission, entry.audit_seq)
        # 3.
        after = check_consistency(state, target, site_keys=site_keys)
        _require_ok(after, target.location)
        facts = (after.log.tree_size, after.log.root, after.log.newest_checkpoint,
                 after.admission_count)  # fmt: skip
        expected = (before.log.tree_size, before.log.root, before.log.newest_checkpoint,
                    before.admission_count)  # fmt: skip
        if facts != expected:
            raise LogDamaged(
                f"ledger {target.location}: after copying, holds {facts[0]} records and "
                f"{facts[3]} admissions, expected {expected[0]} and {expected[3]}; nothing was "
                "committed"
            )
    return MigratedLedger(origin, count, before.admission_count, before.log.newest_checkpoint,
                          copied)  # fmt: skip


def _require_ok(report: ConsistencyReport, location: str) -> None:
    if not report.ok:
        raise LogDamaged(
            f"ledger {location}: audit verify found {len(report.problems)} problem(s), the "
            f"first: {report.problems[0]}; nothing was migrated"
        )


def _head(ledger: Ledger) -> bytes | None:
    count = ledger.record_count()
    if not count:
        return None
    return next(iter(ledger.audit_records_from(count, count))).hash
