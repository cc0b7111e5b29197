"""Errors of the record layer: the state directory and the ledger.

Both are `UsageError`s (exit 2): when the state cannot be opened or written, the gate could not
run as asked; nothing was decided and nothing was admitted.
"""

from __future__ import annotations

from provenance.errors import UsageError

__all__ = ["LedgerError", "StateError"]


class StateError(UsageError):
    """The state directory (or the store inside it) is missing, not a directory or not writable."""


class LedgerError(UsageError):
    """The ledger database cannot be used: corrupted, locked, newer than this release, read-only."""
