"""Recording an admission: the steps, in the order that survives a crash at any point.

The caller stages the artifact (`ContentStore.stage_copy`), verifies and decides against the
staged digest, then, inside ONE ledger transaction::

    with ledger.transaction() as tx:
        decision = decide(..., history=tx)            # rollback rule reads under the lock
        if allowed:
            record_admit(tx, state, staged, event=..., make_vsa=..., evidence=..., signer=site_key)
        else:
            tx.append_audit(deny_event, signer=site_key)
    store.discard(staged)                             # no-op once committed

`record_admit`:
1. checks the event is an "admit" of exactly the staged digest;
2. moves the staged copy into the store and fsyncs the directory;
3. appends the "admit" audit record, its leaf and the site-signed checkpoint of the log;
4. asks `make_vsa` for the VSA, giving it the record's place in the log (leaf index,
   checkpoint, inclusion proof: `LogInclusion`), and writes it (content-addressed) durably;
5. records the admission row, tied to its audit record;
and the transaction's COMMIT makes record, checkpoint and row visible at once.

Files first, rows last: a crash after step 2 or 4 but before COMMIT leaves a store or VSA file
that no admission names (an orphan, reported by the consistency check and removed by
`clean_orphans`), never an admission whose file is missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from provenance.record._fs import ensure_directory, write_durably
from provenance.record.audit import AuditRecord, AuditSigner
from provenance.record.audit_event import AuditEvent
from provenance.record.errors import StateError
from provenance.record.ledger import Admission, LedgerTransaction
from provenance.record.state import STATE_DIR_MODE, StateDir
from provenance.record.store import STORE_ALGORITHM_DIR, ContentStore, StagedArtifact
from provenance.transparency.inclusion import LogInclusion

__all__ = ["record_admit", "vsa_path_for"]

VSA_SUFFIX = ".dsse.json"


def vsa_path_for(state: StateDir, vsa: str) -> str:
    """Where a VSA is kept, relative to the state directory: named by the SHA-256 of its bytes
    (no name to sanitise, and the same envelope is stored once)."""
    digest = hashlib.sha256(vsa.encode("utf-8")).hexdigest()
    return state.relative(state.vsa_dir / STORE_ALGORITHM_DIR / digest[:2] / (digest + VSA_SUFFIX))


def record_admit(
    transaction: LedgerTransaction,
    state: StateDir,
    staged: StagedArtifact,
    *,
    event: AuditEvent,
    make_vsa: Callable[[LogInclusion], str] | None,
    evidence: Mapping[str, Any],
    signer: AuditSigner | None = None,
) -> tuple[Admission, AuditRecord]:
    """Admit the staged artifact inside `transaction` (see the module docstring).

    A VSA carries its record's inclusion proof in a signed checkpoint, so `make_vsa` needs a
    `signer`."""
    if event.kind != "admit" or event.artifact_sha256 != staged.sha256_hex:
        raise ValueError(
            f"record_admit: expected an 'admit' event for {staged.sha256_hex}, got a "
            f"{event.kind!r} event for {event.artifact_sha256}"
        )
    if event.segment is None or event.policy is None:
        raise ValueError("record_admit: expected the event to name its segment and policy")
    if make_vsa is not None and signer is None:
        raise ValueError("record_admit: a VSA needs a signed checkpoint; expected a signer")
    store_path = ContentStore(state).commit(staged)
    audit = transaction.append_audit(event, signer=signer)
    vsa_path = vsa = None
    if make_vsa is not None:
        vsa = make_vsa(transaction.inclusion(audit))
        vsa_path = vsa_path_for(state, vsa)
        target = state.resolve(vsa_path)
        try:
            ensure_directory(target.parent, STATE_DIR_MODE)
            write_durably(vsa.encode("utf-8"), state.tmp_dir, target)
        except OSError as exc:
            raise StateError(
                f"state directory {state.root}: cannot write the VSA {target}: "
                f"{exc.strerror or exc}; expected a writable state directory with free space"
            ) from exc
    admission = Admission(
        artifact_sha256=staged.sha256_hex,
        artifact_name=event.artifact_name,
        segment=event.segment,
        product=event.product,
        version=event.version,
        policy_path=event.policy.path,
        policy_sha256=event.policy.sha256,
        decided_at=event.at,
        store_path=state.relative(store_path),
        vsa_path=vsa_path,
        vsa=vsa,
        evidence=evidence,
    )
    transaction.record_admission(admission, audit)
    return admission, audit
