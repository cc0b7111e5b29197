"""RFC 6962 / RFC 9162 Merkle trees: hashing, proofs from stored nodes, proof verification.

The construction Certificate Transparency, Rekor and the site's own audit log use:

    leaf hash  = SHA-256(0x00 || leaf data)
    node hash  = SHA-256(0x01 || left || right)
    MTH(D[n])  = the leaf hash for n = 1; for n > 1, with k the largest power of two < n,
                 node hash(MTH(D[0:k]), MTH(D[k:n]))

A tree is stored as its *perfect subtrees*: the subtree of 2**level leaves starting at leaf
`index * 2**level`. Appending leaves in order completes them in post-order, so each has a fixed
position (`node_position`) and a log of n leaves holds exactly `stored_node_count(n)` of them.
Every MTH the proofs need is one of them or a right border made of a few of them
(`range_root`), so proofs for any tree size cost O(log² n) lookups, never a pass over leaves.

Verification (`root_from_inclusion_proof`, `verify_consistency`) follows RFC 9162 §2.1.3.2 and
§2.1.4.2 step by step and trusts nothing about the proof but its length and hash size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from provenance.errors import VerificationFailure

__all__ = [
    "EMPTY_ROOT",
    "HASH_BYTES",
    "CompactRange",
    "MerkleProofError",
    "NodeLookup",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "node_position",
    "range_root",
    "root_from_inclusion_proof",
    "stored_node_count",
    "verify_consistency",
]

HASH_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH of the empty tree (RFC 9162 §2.1.1)
# A proof for a tree of up to 2**64 leaves has at most 64 hashes (consistency: 65).
MAX_PROOF_HASHES = 65

# (level, index) of a perfect subtree -> its hash; raises if it is not stored.
NodeLookup = Callable[[int, int], bytes]


class MerkleProofError(VerificationFailure):
    """A proof does not fit its tree, or does not lead to the root it should."""

    def __init__(self, message: str) -> None:
        super().__init__(message, check="merkle")


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def node_position(level: int, index: int) -> int:
    """Where the perfect subtree (level, index) sits among the stored nodes (post-order, from 0).

    The nodes stored before it are those completed by its first leaf's predecessors,
    2L - popcount(L) for L = index * 2**level, plus all of its own subtree but itself.
    """
    first_leaf = index << level
    return 2 * first_leaf - first_leaf.bit_count() + (1 << (level + 1)) - 2


def stored_node_count(size: int) -> int:
    """How many perfect subtrees a tree of `size` leaves has completed."""
    return 2 * size - size.bit_count()


def _border(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect subtrees (level, index) that make up leaves [start, end), left to right.

    `start` is aligned (a multiple of the largest power of two <= end - start), as every range
    RFC 9162's recursions visit is.
    """
    pieces = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise ValueError(f"leaves [{start}, {end}) do not start on a subtree boundary")
        pieces.append((level, start >> level))
        start += 1 << level
    return pieces


def range_root(nodes: NodeLookup, start: int, end: int) -> bytes:
    """MTH(D[start:end]) from stored perfect subtrees: fold the border from the right."""
    if end <= start:
        return EMPTY_ROOT
    pieces = [nodes(level, index) for level, index in _border(start, end)]
    root = pieces[-1]
    for left in reversed(pieces[:-1]):
        root = node_hash(left, root)
    return root


def inclusion_proof(nodes: NodeLookup, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, leaf first."""
    if not 0 <= index < size:
        raise MerkleProofError(f"inclusion proof: leaf {index} is outside tree size {size}")
    path: list[bytes] = []
    start, end = 0, size
    # Walk down from the root; each step records the sibling subtree's MTH.
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(range_root(nodes, start + k, end))
            end = start + k
        else:
            path.append(range_root(nodes, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(nodes: NodeLookup, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1 (empty for old_size 0 or equal)."""
    if not 0 <= old_size <= new_size:
        raise MerkleProofError(
            f"consistency proof: expected 0 <= old size <= new size, got {old_size}, {new_size}"
        )
    if old_size in (0, new_size):
        return []
    path: list[bytes] = []
    start, end, whole = 0, new_size, True
    # SUBPROOF(m, D[start:end], whole), iteratively; m counts leaves from `start`.
    m = old_size
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(range_root(nodes, start + k, end))
            end = start + k
        else:
            path.append(range_root(nodes, start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        path.append(range_root(nodes, start, end))
    path.reverse()
    return path


def _checked(proof: Sequence[bytes], what: str) -> None:
    if len(proof) > MAX_PROOF_HASHES:
        raise MerkleProofError(f"{what} holds {len(proof)} hashes; no tree needs that many")
    if any(len(node) != HASH_BYTES for node in proof):
        raise MerkleProofError(f"{what} holds a hash that is not {HASH_BYTES} bytes")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2, step by step; raises if the path does not fit the tree."""
    _checked(proof, "inclusion proof")
    # 1. The leaf must be inside the tree.
    if not 0 <= index < size:
        raise MerkleProofError(f"inclusion proof index {index} is outside tree size {size}")
    # 2./3. fn walks the leaf's position, sn the last leaf's position, r the running hash.
    fn, sn, r = index, size - 1, leaf
    for node in proof:
        # 4a. A path longer than the tree is high is forged.
        if sn == 0:
            raise MerkleProofError("inclusion proof is longer than the tree")
        # 4b. Right children (and the right border) hash in from the left.
        if fn & 1 or fn == sn:
            r = node_hash(node, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, node)
        # 4c.
        fn >>= 1
        sn >>= 1
    # 5. A path shorter than the tree is high proves nothing.
    if sn != 0:
        raise MerkleProofError("inclusion proof is shorter than the tree")
    return r


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """The tree of `new_size` leaves extends the one of `old_size` (RFC 9162 §2.1.4.2).

    Raises `MerkleProofError` saying which part failed; returns nothing when it holds.
    """
    _checked(proof, "consistency proof")
    if not 0 <= old_size <= new_size:
        raise MerkleProofError(
            f"consistency proof: a tree of {new_size} leaves cannot extend one of {old_size}"
        )
    if old_size in (0, new_size):
        # Every tree extends the empty one; a tree extends itself only with the same root.
        if proof:
            raise MerkleProofError("consistency proof from the empty or the same tree is empty")
        if old_size == new_size and old_root != new_root:
            raise MerkleProofError(
                f"two different roots for the same tree size {old_size}: "
                f"{old_root.hex()} and {new_root.hex()}"
            )
        return
    path = list(proof)
    # 1. A power-of-two old tree is itself a node of the new one: its root starts the path.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    first, second = _consistency_roots(old_size, new_size, path)
    # 6. Both roots must come out.
    if first != old_root:
        raise MerkleProofError(
            f"consistency proof does not lead to the old root of tree size {old_size}: expected "
            f"{old_root.hex()}, computed {first.hex()} (the log was rewritten before that size)"
        )
    if second != new_root:
        raise MerkleProofError(
            f"consistency proof does not lead to the new root of tree size {new_size}: "
            f"expected {new_root.hex()}, computed {second.hex()}"
        )


def _consistency_roots(old_size: int, new_size: int, path: list[bytes]) -> tuple[bytes, bytes]:
    """Steps 2 to 5 of RFC 9162 §2.1.4.2: the old and new roots the path leads to."""
    if not path:
        raise MerkleProofError("consistency proof is empty")
    # 2./3. fn, sn: the old and new trees' last leaves, shifted past the shared right border.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 4. Both running hashes start from the first node.
    fr = sr = path[0]
    # 5. Each further node joins the new root, and also the old root where it lies left.
    for node in path[1:]:
        if sn == 0:
            raise MerkleProofError("consistency proof is longer than the tree")
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    # The path must reach the top of the new tree.
    if sn != 0:
        raise MerkleProofError("consistency proof is shorter than the tree")
    return fr, sr


@dataclass
class CompactRange:
    """A tree's right border while leaves are appended one by one: O(log n) memory.

    `append` returns the perfect subtrees it completed, in post-order (the leaf first), which
    is the order in which they are stored; `root` is MTH of everything appended so far.
    """

    size: int = 0
    # (level, hash) of the border's perfect subtrees, left to right, levels strictly falling.
    border: list[tuple[int, bytes]] = field(default_factory=list)

    @classmethod
    def from_nodes(cls, nodes: NodeLookup, size: int) -> CompactRange:
        """The border of a stored tree of `size` leaves (nothing in it verified)."""
        border = [(level, nodes(level, index)) for level, index in _border(0, size)]
        return cls(size=size, border=border)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; returns the completed subtrees as (level, index, hash)."""
        index = self.size
        completed = [(0, index, leaf)]
        level, current = 0, leaf
        while self.border and self.border[-1][0] == level:
            _, left = self.border.pop()
            current = node_hash(left, current)
            level += 1
            completed.append((level, index >> level, current))
        self.border.append((level, current))
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.border:
            return EMPTY_ROOT
        root = self.border[-1][1]
        for _, left in reversed(self.border[:-1]):
            root = node_hash(left, root)
        return root
