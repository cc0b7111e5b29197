"""The audit log's Merkle tree as the ledger stores it: perfect subtrees by post-order position.

Leaf i (0-based) is `leaf_hash(hash of audit record i + 1)`: the record's chain hash is the leaf
data, so the tree commits to each record's sequence number, link and event JSON (see
`audit.record_hash`). Appending a record stores its leaf and the subtrees it completes
(`merkle.CompactRange.append`), so a log of n records holds `stored_node_count(n)` nodes at
positions 0 .. count - 1, and every proof is read from O(log² n) of them.

The stored nodes are a cache, never evidence: whoever can write the database can write them.
Every answer built from them (an inclusion proof in a VSA, `check`, a consistency proof for a
witness) is checked against a checkpoint signed by the site key, and `audit verify` recomputes
them all from the records.
"""

from __future__ import annotations

from provenance.record._database import Database
from provenance.record.errors import LedgerError, LogDamaged
from provenance.transparency.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_position,
    range_root,
    stored_node_count,
)

__all__ = ["StoredTree", "build_tree"]

_BATCH = 256


class StoredTree:
    """Reads and appends the tree through an open connection (inside the caller's transaction)."""

    def __init__(self, connection: Database) -> None:
        self._connection = connection

    def node(self, level: int, index: int) -> bytes:
        """The perfect subtree (level, index); `LogDamaged` if it is not stored."""
        position = node_position(level, index)
        row = self._connection.execute(
            "SELECT hash FROM merkle_nodes WHERE position = ?", (position,)
        ).fetchone()
        if row is None or not isinstance(row[0], bytes) or len(row[0]) != 32:
            raise LogDamaged(
                f"the ledger's Merkle tree lacks node {position} (level {level}, index {index}); "
                "expected one for every record (nodes removed?)"
            )
        return bytes(row[0])

    def node_count(self) -> int:
        row = self._connection.execute("SELECT max(position) FROM merkle_nodes").fetchone()
        return 0 if row is None or row[0] is None else int(row[0]) + 1

    def require_size(self, size: int) -> None:
        """`LogDamaged` unless the stored tree has exactly the nodes of `size` leaves."""
        count = self.node_count()
        if count != stored_node_count(size):
            raise LogDamaged(
                f"the ledger's Merkle tree holds {count} nodes, expected "
                f"{stored_node_count(size)} for {size} audit records (records or nodes removed?)"
            )

    def root(self, size: int) -> bytes:
        return range_root(self.node, 0, size)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return inclusion_proof(self.node, index, size)

    def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        return consistency_proof(self.node, old_size, new_size)

    def append(self, size: int, record_hash: bytes) -> bytes:
        """Add the leaf for record `size + 1`, store what it completes; returns the new root."""
        border = CompactRange.from_nodes(self.node, size)
        completed = border.append(leaf_hash(record_hash))
        self._connection.executemany(
            "INSERT INTO merkle_nodes (position, hash) VALUES (?, ?)",
            [(node_position(level, index), value) for level, index, value in completed],
        )
        return border.root()


def build_tree(connection: Database) -> None:
    """Store the tree of the records already in the log (the schema 2 migration).

    The records must be numbered 1, 2, 3, ... without gaps, as this release writes them: a
    leaf's index is its record's number minus one. A log with a gap was damaged; it is
    refused (the migration's transaction rolls back, the ledger stays as it was).
    """
    border = CompactRange()
    cursor = connection.execute("SELECT seq, hash FROM audit ORDER BY seq")
    while batch := cursor.fetchmany(_BATCH):
        nodes = []
        for seq, stored_hash in batch:
            if seq != border.size + 1:
                raise LedgerError(
                    f"audit log: record {seq} follows record {border.size}; expected records "
                    "numbered without gaps to build the log's Merkle tree (records removed?). "
                    "The ledger was not upgraded; run `provenance audit verify` with the release "
                    "that wrote it"
                )
            for level, index, value in border.append(leaf_hash(bytes(stored_hash))):
                nodes.append((node_position(level, index), value))
        connection.executemany("INSERT INTO merkle_nodes (position, hash) VALUES (?, ?)", nodes)
