"""Errors of the record layer: the state directory, the ledger, and a log that fails its proof.

`StateError` and `LedgerError` are `UsageError`s (exit 2): when the state cannot be opened or
written, the gate could not run as asked; nothing was decided and nothing was admitted.
`LogDamaged` is a failed verification (exit 1): the log's records, tree and signed checkpoints
disagree.
"""

from __future__ import annotations

from provenance.errors import UsageError, VerificationFailure

__all__ = ["LedgerError", "LogDamaged", "StateError"]


class StateError(UsageError):
    """The state directory (or the store inside it) is missing, not a directory or not writable."""


class LedgerError(UsageError):
    """The ledger database cannot be used: corrupted, locked, newer than this release, read-only."""


class LogDamaged(VerificationFailure):
    """The stored audit log does not match its signed checkpoints (exit 1 where it is an answer,
    as in `check`; commands that would extend the log refuse with a `LedgerError` instead)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, check="audit-log")
