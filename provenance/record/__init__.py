"""The record layer: state directory, approved store, ledger, and the audit log, which is a
hash chain, a Merkle tree with site-signed checkpoints, and checked against witnesses.

- `state`: where the gate keeps its state (`--state-dir`, `$PROVENANCE_STATE_DIR`, default).
- `store`: artifacts copied and hashed in one pass, kept by SHA-256.
- `ledger`: admissions and the audit log in one database, one transaction per admit: SQLite in
  the state directory, or PostgreSQL shared by several gate hosts (`location`: which one;
  `_database`, `_sqlite`, `_postgresql`: the engines; `migrations`: one schema for both).
- `audit_event`: what an audit record contains (the contract the gate fills).
- `audit`: chain hash, signatures, the streaming `ChainVerifier`; `audit_export`: JSON and
  CSV; `audit_keys`: signature checks with the site's public keys.
- `merkle_store`, `checkpoints`: the log's tree and signed checkpoints as stored;
  `log_verifier`: both recomputed and checked as the records stream by, and `witnesses`
  (checkpoints and VSAs kept elsewhere) held against them.
- `signed_admission`: "is it admitted?" answered from signed records only (`check`).
- `admit`: the crash-safe order of an admission; `consistency`: the check and orphan cleanup.
- `kit_manifest`, `kit_export`, `kit_import`: signed transfer kits for air-gapped sites;
  `migrate`: a SQLite log continued in PostgreSQL.
"""

from __future__ import annotations

from provenance.record.admit import record_admit, vsa_path_for
from provenance.record.audit import (
    AuditRecord,
    AuditSigner,
    AuditVerification,
    SignatureCheck,
    verify_audit_chain,
)
from provenance.record.audit_event import (
    ApprovalEvidence,
    AuditEvent,
    EventKind,
    FindingSummary,
    PolicyRef,
    SignerEvidence,
)
from provenance.record.audit_export import export_csv, export_json
from provenance.record.consistency import ConsistencyReport, check_consistency, clean_orphans
from provenance.record.errors import LedgerError, LogDamaged, StateError
from provenance.record.ledger import (
    BUSY_TIMEOUT_SECONDS,
    Admission,
    AdmissionEntry,
    Ledger,
    LedgerTransaction,
)
from provenance.record.state import STATE_DIR_ENV, StateDir, resolve_state_dir
from provenance.record.store import ContentStore, StagedArtifact

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "STATE_DIR_ENV",
    "Admission",
    "AdmissionEntry",
    "ApprovalEvidence",
    "AuditEvent",
    "AuditRecord",
    "AuditSigner",
    "AuditVerification",
    "ConsistencyReport",
    "ContentStore",
    "EventKind",
    "FindingSummary",
    "Ledger",
    "LedgerError",
    "LedgerTransaction",
    "LogDamaged",
    "PolicyRef",
    "SignatureCheck",
    "SignerEvidence",
    "StagedArtifact",
    "StateDir",
    "StateError",
    "check_consistency",
    "clean_orphans",
    "export_csv",
    "export_json",
    "record_admit",
    "resolve_state_dir",
    "verify_audit_chain",
    "vsa_path_for",
]
