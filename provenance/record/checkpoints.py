"""The audit log's signed checkpoints, as the ledger stores them.

After each audit record the site key signs a checkpoint of the log (C2SP tlog-checkpoint in a
signed note: origin, tree size, root hash), in the same transaction as the record, so a crash
leaves both or neither. The origin is the ledger's own (`log_origin`, drawn when the table was
made); the key name in the signature line is the origin too, and the key hint is C2SP's for
the site key's kind (see `provenance.transparency.note_keys`).

Nothing read here is trusted: a checkpoint counts once its signature verifies with a site
public key and its root matches the records (`verify_note`, `StoredTree`, `log_verifier`).
"""

from __future__ import annotations

from provenance.record._database import Database
from provenance.record.errors import LogDamaged
from provenance.transparency.checkpoint import checkpoint_body
from provenance.transparency.note_keys import NoteSigner, sign_note

__all__ = ["CheckpointStore", "sign_checkpoint"]


def sign_checkpoint(origin: str, size: int, root: bytes, signer: NoteSigner) -> str:
    """The signed note for the log `origin` at `size` leaves with this root."""
    return sign_note(checkpoint_body(origin, size, root), origin, signer)


class CheckpointStore:
    """Checkpoint rows through an open connection (inside the caller's transaction)."""

    def __init__(self, connection: Database) -> None:
        self._connection = connection

    def origin(self) -> str:
        """The log's name: the one it adopted (a migrated or mirrored log), else its own."""
        adopted = self._connection.execute("SELECT origin FROM log_adopted WHERE id = 1").fetchone()
        if adopted is not None:
            if not isinstance(adopted[0], str):
                raise LogDamaged("the ledger's adopted log origin is not text (edited?)")
            return adopted[0]
        row = self._connection.execute("SELECT origin FROM log_origin WHERE id = 1").fetchone()
        if row is None or not isinstance(row[0], str):
            raise LogDamaged("the ledger names no log origin (the log_origin row was removed?)")
        return row[0]

    def latest(self) -> tuple[int, str] | None:
        """(size, signed note) of the largest checkpoint, if any."""
        row = self._connection.execute(
            "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _row(row)

    def at(self, size: int) -> str | None:
        row = self._connection.execute(
            "SELECT size, note FROM checkpoints WHERE size = ?", (size,)
        ).fetchone()
        return None if row is None else _row(row)[1]

    def add(self, size: int, note: str, key_id: str | None) -> None:
        """Store the checkpoint for `size` and the id of the key that signed it."""
        self._connection.execute(
            "INSERT INTO checkpoints (size, note, key_id) VALUES (?, ?, ?)", (size, note, key_id)
        )


def _row(row: tuple[object, ...]) -> tuple[int, str]:
    size, note = row
    if not isinstance(size, int) or not isinstance(note, str):
        raise LogDamaged(
            f"checkpoint row {size!r}: expected an integer size and a text note (was the "
            "database edited?)"
        )
    return size, note
