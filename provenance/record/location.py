"""Which ledger a command uses: the state directory's SQLite file, or a PostgreSQL database.

`--ledger postgresql://...`, else `$PROVENANCE_LEDGER`, else `ledger.sqlite3` in the state
directory (the embedded default). Either way the state directory keeps the approved store, the
VSAs and the staging area: with a shared ledger, every gate host uses one state directory on a
shared file system (see README, "Several gate hosts").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from provenance.errors import UsageError
from provenance.record._postgresql import PostgresLocation
from provenance.record.state import StateDir

__all__ = ["LEDGER_ENV", "LedgerTarget", "describe_ledger", "resolve_ledger"]

LEDGER_ENV = "PROVENANCE_LEDGER"
LedgerTarget = Path | PostgresLocation


def resolve_ledger(
    explicit: str | None, state: StateDir, environ: Mapping[str, str] | None = None
) -> LedgerTarget:
    """The ledger to open: `explicit`, else the environment's, else the state directory's."""
    environment = os.environ if environ is None else environ
    value = explicit if explicit is not None else environment.get(LEDGER_ENV, "")
    if not value:
        return state.ledger_path
    location = PostgresLocation.parse(value)
    if location is None:
        # Print only the scheme: the value may hold a password.
        scheme = value.partition(":")[0] if ":" in value else "no scheme"
        raise UsageError(
            f"--ledger (or ${LEDGER_ENV}): expected a postgresql:// URI, got {scheme!r}; the "
            "SQLite ledger is the state directory's own (leave --ledger out to use it)"
        )
    return location


def describe_ledger(target: LedgerTarget) -> str:
    """The ledger for messages, without a password."""
    return target.display if isinstance(target, PostgresLocation) else str(target)
