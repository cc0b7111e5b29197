"""The audit log's Merkle tree, checkpoints and witnesses, checked as the records stream by.

`LogVerifier.add` is called with every record in order (after the chain check, which hands on
the record's recomputed hash and parsed event); it keeps only the tree's right border
(`CompactRange`, O(log n)) and the next stored node and checkpoint, so memory does not grow
with the log. For each record:

1. Append its leaf (the recomputed chain hash) and compare the subtrees it completes with the
   stored nodes, in stored order (the cache `check` and VSAs read proofs from).
2. If a checkpoint is stored for this size: it parses, names this ledger's origin, is signed
   by a site key (the one its row names, where it names one: with several gate hosts, the
   admitting host's), and its root is the root recomputed from the records so far.
3. Witnesses: a checkpoint witnessed at this size must have this root; a record a VSA
   witnessed must be this one, unchanged, and an admission of the VSA's artifact.

`finish` then requires that the newest checkpoint covers the whole log (with site keys), that
no checkpoint or node names records the log no longer holds, and that the log extends every
witnessed checkpoint: a witness from a larger log means records were cut off; for the others,
a consistency proof (RFC 9162 §2.1.4) from the stored tree to the newest signed checkpoint
must verify.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from provenance.errors import VerificationFailure
from provenance.record.audit import AuditRecord, CheckedRecord
from provenance.record.merkle_store import StoredTree
from provenance.record.witnesses import Witness, WitnessedRecord
from provenance.transparency.checkpoint import Checkpoint, parse_checkpoint
from provenance.transparency.merkle import (
    CompactRange,
    leaf_hash,
    node_position,
    verify_consistency,
)
from provenance.transparency.note_keys import verify_note
from provenance.verification.signers import PublicKeySigner

__all__ = ["MAX_CHECKPOINT_PROBLEMS", "LogVerification", "LogVerifier"]

# One bad key or one early edit makes every later checkpoint fail: name the first few only.
MAX_CHECKPOINT_PROBLEMS = 5


@dataclass(frozen=True)
class LogVerification:
    problems: tuple[str, ...]
    tree_size: int
    root: bytes  # recomputed from the records
    checkpoints_checked: int
    newest_checkpoint: int | None  # the size of the newest checkpoint that verified
    signatures_checked: bool
    witnesses: tuple[str, ...]  # one line per witness that held


@dataclass
class _Checkpoints:
    """Stored checkpoints as they come, and what was found in them."""

    stream: Iterator[tuple[int, str, str | None]]
    pending: tuple[int, str, str | None] | None = None
    problems: list[str] = field(default_factory=list)
    suppressed: int = 0
    checked: int = 0
    newest: Checkpoint | None = None

    def next(self) -> None:
        self.pending = next(self.stream, None)

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_CHECKPOINT_PROBLEMS:
            self.problems.append(text)
        else:
            self.suppressed += 1


class LogVerifier:
    def __init__(
        self,
        *,
        origin: str,
        site_keys: Sequence[PublicKeySigner],
        nodes: Iterator[tuple[int, bytes]],
        checkpoints: Iterator[tuple[int, str, str | None]],
        witnesses: Sequence[Witness] = (),
    ) -> None:
        self._origin = origin
        self._keys = site_keys
        self._nodes = nodes
        self._checkpoints = _Checkpoints(checkpoints)
        self._checkpoints.next()
        self._witnesses = witnesses
        self._by_size: dict[int, list[Witness]] = {}
        self._by_seq: dict[int, list[tuple[Witness, WitnessedRecord]]] = {}
        for witness in witnesses:
            self._by_size.setdefault(witness.checkpoint.size, []).append(witness)
            if witness.record is not None:
                self._by_seq.setdefault(witness.record.seq, []).append((witness, witness.record))
        self._border = CompactRange()
        self._problems: list[str] = []
        self._node_mismatch = False
        self._failed_witnesses: set[str] = set()

    def add(self, record: AuditRecord, checked: CheckedRecord) -> None:
        # 1. The leaf and the subtrees it completes, against the stored nodes.
        for level, index, value in self._border.append(leaf_hash(checked.hash)):
            self._compare_node(node_position(level, index), value)
        size = self._border.size
        # 2. The checkpoint stored for this size, if any.
        while self._checkpoints.pending is not None and self._checkpoints.pending[0] <= size:
            stored_size, note, key_id = self._checkpoints.pending
            self._check_checkpoint(stored_size, note, key_id, size)
            self._checkpoints.next()
        # 3. Witnesses.
        for witness in self._by_size.get(size, ()):
            if witness.checkpoint.root_hash != self._border.root():
                self._witness_failed(
                    witness,
                    f"the log's first {_count(size)} do not have the root this checkpoint "
                    f"signed: records up to {size} were changed since (the log was rewritten)",
                )
        for witness, expected in self._by_seq.get(record.seq, ()):
            self._check_witnessed_record(witness, expected, record, checked)

    def finish(self, tree: StoredTree) -> LogVerification:
        size, root = self._border.size, self._border.root()
        extra = next(self._nodes, None)
        if extra is not None and not self._node_mismatch:
            self._problems.append(
                f"the stored Merkle tree holds node {extra[0]} and more, beyond the {size} "
                "records of the log (records removed?)"
            )
        checkpoints = self._checkpoints
        if checkpoints.pending is not None:
            highest = checkpoints.pending[0]
            for later, _, _ in checkpoints.stream:
                highest = later
            checkpoints.problem(
                f"a checkpoint for {_count(highest)} is stored, but the log holds {size}: "
                f"{_records(size + 1, highest)} gone"
            )
        newest = checkpoints.newest
        if self._keys and size and (newest is None or newest.size != size):
            covered = 0 if newest is None else newest.size
            checkpoints.problem(
                f"{_records(covered + 1, size)} not covered by a signed checkpoint (each "
                "record's checkpoint is written with it: removed, or never signed?)"
            )
        witness_lines = self._finish_witnesses(tree, size, newest)
        problems = list(self._problems) + checkpoints.problems
        if checkpoints.suppressed:
            problems.append(f"... and {checkpoints.suppressed} more checkpoint problem(s)")
        return LogVerification(
            problems=tuple(problems),
            tree_size=size,
            root=root,
            checkpoints_checked=checkpoints.checked,
            newest_checkpoint=None if newest is None else newest.size,
            signatures_checked=bool(self._keys),
            witnesses=tuple(witness_lines),
        )

    # -- the steps -----------------------------------------------------------------------

    def _compare_node(self, position: int, value: bytes) -> None:
        stored = next(self._nodes, None)
        if self._node_mismatch:
            return
        if stored != (position, value):
            self._node_mismatch = True
            self._problems.append(
                f"the stored Merkle tree differs from the records from node {position} on "
                "(records or tree edited after they were written): proofs read from it, as "
                "`check` does, will not verify"
            )

    def _check_checkpoint(self, stored_size: int, note: str, key_id: str | None, size: int) -> None:
        checkpoints = self._checkpoints
        checkpoints.checked += 1
        label = f"checkpoint {stored_size}"
        try:
            checkpoint = parse_checkpoint(note)
            signer = verify_note(checkpoint, self._keys) if self._keys else None
        except VerificationFailure as failure:
            checkpoints.problem(f"{label}: {failure}")
            return
        if signer is not None and key_id is not None and signer.key_id != key_id:
            checkpoints.problem(
                f"{label}: signed by key {signer.key_id}, but the log names {key_id}"
            )
            return
        if checkpoint.size != stored_size or stored_size != size:
            checkpoints.problem(
                f"{label}: signs tree size {checkpoint.size}, stored as size {stored_size}"
            )
        elif checkpoint.origin != self._origin:
            checkpoints.problem(
                f"{label}: names log {checkpoint.origin}, this ledger's log is {self._origin}"
            )
        elif checkpoint.root_hash != self._border.root():
            checkpoints.problem(
                f"{label}: its root is not the root of the log's first {_count(size)} (a "
                "record among them removed, inserted or edited, or the checkpoint forged)"
            )
        else:
            checkpoints.newest = checkpoint

    def _check_witnessed_record(
        self,
        witness: Witness,
        expected: WitnessedRecord,
        record: AuditRecord,
        checked: CheckedRecord,
    ) -> None:
        event = checked.event
        if checked.hash != expected.hash:
            self._witness_failed(
                witness,
                f"record {record.seq} is not the record it holds ({expected.describe()}): "
                "edited or replaced",
            )
        elif event is None or not (
            event.kind == "admit"
            and event.artifact_sha256 in expected.artifact_sha256
            and event.segment in expected.segments
        ):
            self._witness_failed(
                witness,
                f"record {record.seq} is not the {expected.describe()} the VSA states",
            )

    def _witness_failed(self, witness: Witness, reason: str) -> None:
        self._failed_witnesses.add(witness.source)
        self._problems.append(f"witness {witness.source}: {reason}")

    def _finish_witnesses(
        self, tree: StoredTree, size: int, newest: Checkpoint | None
    ) -> list[str]:
        lines = []
        for witness in self._witnesses:
            seen = witness.checkpoint
            if seen.origin != self._origin:
                self._witness_failed(
                    witness,
                    f"a checkpoint of log {seen.origin}, but this ledger's log is "
                    f"{self._origin} (another site's log, or the ledger was replaced)",
                )
            if seen.size > size:
                self._witness_failed(
                    witness,
                    f"it saw {_count(seen.size)}, the log holds {size}: "
                    f"{_records(size + 1, seen.size)} missing (removed)",
                )
            if witness.record is not None and witness.record.seq > size:
                self._witness_failed(
                    witness,
                    f"record {witness.record.seq} ({witness.record.describe()}) is missing: "
                    f"the log holds {_count(size)}",
                )
            if witness.source in self._failed_witnesses:
                continue
            if newest is None:
                self._witness_failed(witness, "no signed checkpoint of the log to compare with")
                continue
            try:
                proof = tree.consistency(seen.size, newest.size)
                verify_consistency(seen.size, newest.size, seen.root_hash, newest.root_hash, proof)
            except VerificationFailure as failure:
                self._witness_failed(
                    witness, f"the stored tree gives no valid consistency proof: {failure}"
                )
                continue
            held = f"record {witness.record.seq} unchanged; " if witness.record else ""
            lines.append(
                f"witness {witness.source}: {held}the log at {_count(newest.size)} extends its "
                f"checkpoint at {seen.size} (consistency proof of {len(proof)} hash(es) verified)"
            )
        return lines


def _records(first: int, last: int) -> str:
    """`record 5 is` or `records 5-9 are`."""
    return f"record {first} is" if first == last else f"records {first}-{last} are"


def _count(records: int) -> str:
    return "1 record" if records == 1 else f"{records} records"
