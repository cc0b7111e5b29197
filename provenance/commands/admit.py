"""`provenance admit`: verify, decide, and, if allowed, admit an artifact into a segment.

The algorithm, in the order that keeps every promise of the gate:

1. Load the policy and compile the segment (a broken policy or unknown segment: exit 2
   before anything is touched); open the state directory, the ledger and the site key.
2. Copy the artifact into the state directory's `tmp/`, hashing the bytes as they are copied:
   every later step uses that digest and that copy, so the file cannot be swapped between
   verification and admission.
3. Verify every piece of evidence against the staged digest (no lock held: this is the slow
   part), and derive product and version.
4. In ONE ledger transaction: decide (the rollback rule reads earlier admissions under the
   write lock, so two admits cannot both pass as "newest"); if allowed, move the copy into the
   content-addressed store, append the "admit" audit record with the log's signed checkpoint,
   write the signed VSA carrying the record's inclusion proof, and the admission
   (`record_admit`); if denied, append the "deny" audit record (and checkpoint) only. COMMIT
   makes it all visible at once; a crash before leaves at most orphan files.
5. Discard the staged copy if it was not admitted.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from provenance.clock import Clock, utc_now
from provenance.commands.evaluation import (
    Examination,
    GateInputs,
    examine,
    judge,
    vulnerability_db_for,
)
from provenance.decision.segment import Decision, compile_segment
from provenance.errors import UsageError
from provenance.inputs.artifact import Artifact
from provenance.policy import Policy, load_policy
from provenance.record import (
    BUSY_TIMEOUT_SECONDS,
    Admission,
    ApprovalEvidence,
    AuditEvent,
    AuditRecord,
    ContentStore,
    FindingSummary,
    Ledger,
    PolicyRef,
    SignerEvidence,
    StateDir,
    record_admit,
    resolve_state_dir,
)
from provenance.record.crl_store import remember_crls, stored_crls
from provenance.record.location import resolve_ledger
from provenance.signing.dsse import sign_statement
from provenance.signing.keys import SigningKey, load_signing_key
from provenance.signing.pkcs11_keys import is_pkcs11_uri
from provenance.signing.statements import vsa_statement
from provenance.transparency.inclusion import LogInclusion
from provenance.verification.evidence_set import discover_evidence

__all__ = [
    "SITE_KEY_ENV",
    "SITE_KEY_FILE",
    "AdmitResult",
    "admit",
    "load_site_key",
    "site_key_path",
]

SITE_KEY_ENV = "PROVENANCE_SITE_KEY"
SITE_KEY_FILE = "site.key"  # inside the state directory, when no other key is named


@dataclass(frozen=True)
class AdmitResult:
    artifact_name: str
    sha256: str
    segment: str
    policy: Policy
    examination: Examination
    decision: Decision
    audit: AuditRecord
    admission: Admission | None  # None when denied
    state_dir: Path

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


def site_key_path(explicit: Path | None, state_dir: Path) -> Path:
    """`--site-key`, else `$PROVENANCE_SITE_KEY`, else `site.key` in the state directory."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(SITE_KEY_ENV)
    return Path(from_env) if from_env else state_dir / SITE_KEY_FILE


def load_site_key(path: Path) -> SigningKey:
    """A PEM file (encrypted or not) or a PKCS#11 URI (`signing.pkcs11_keys`)."""
    if not is_pkcs11_uri(path) and not path.exists():
        raise UsageError(
            f"{path}: no site key: create one with `provenance keys generate {path}` (the VSAs "
            "and the audit log are signed with it)"
        )
    return load_signing_key(path)


def admit(
    artifact: Path,
    evidence: Sequence[Path] = (),
    *,
    policy_path: Path,
    segment: str,
    state_dir: Path | None = None,
    site_key: Path | None = None,
    product: str | None = None,
    version: str | None = None,
    expected_sha256: str | None = None,
    run_inspections: bool = False,
    online_revocation: bool = False,
    clock: Clock = utc_now,
    busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    ledger: str | None = None,
) -> AdmitResult:
    # 1. Everything that can make the command unable to run, before any state changes.
    policy = load_policy(policy_path)
    rules = compile_segment(policy, segment)
    state = StateDir.open(resolve_state_dir(state_dir), create=True)
    inputs = GateInputs.from_policy(
        policy,
        vulnerability_db=vulnerability_db_for(policy, segment, state.root),
        crls=stored_crls(state.root),
        state_dir=state.root,
    )
    key = load_site_key(site_key_path(site_key, state.root))
    evidence = list(evidence) or discover_evidence(artifact)
    store = ContentStore(state)
    target = resolve_ledger(ledger, state)
    with Ledger.open(target, create=True, busy_timeout=busy_timeout) as opened:
        # A ledger upgraded from schema 1 has records no checkpoint covers yet.
        opened.sign_checkpoint(key)
        # 2. The copy we keep is the copy we verify.
        staged = store.stage_copy(artifact)
        try:
            subject = Artifact(
                name=str(artifact), sha256=staged.sha256, path=staged.path, delivered_as=artifact
            )
            # 3. The slow part, outside the lock.
            examination = examine(
                inputs,
                subject,
                evidence,
                now=clock(),
                operator_product=product,
                operator_version=version,
                expected_sha256=expected_sha256,
                run_inspections=run_inspections,
                online_revocation=online_revocation,
                segment=segment,
            )
            # 4. Decide and record, atomically.
            with opened.transaction() as transaction:
                now = clock()
                decision = judge(rules, examination, segment=segment, now=now, history=transaction)
                event = _audit_event(policy, examination, decision, now)
                admission = None
                if decision.allowed:
                    admission, audit = record_admit(
                        transaction,
                        state,
                        staged,
                        event=event,
                        make_vsa=lambda inclusion: _vsa(
                            policy, examination, segment, now, key, inclusion=inclusion
                        ),
                        evidence=_evidence_summary(examination),
                        signer=key,
                    )
                else:
                    audit = transaction.append_audit(event, signer=key)
            # The delivery's CRLs stay with the gate: an older one cannot come back later.
            remember_crls(state, artifact.parent)
        finally:
            # 5. A no-op once the copy is in the store.
            store.discard(staged)
    return AdmitResult(
        artifact_name=str(artifact),
        sha256=staged.sha256_hex,
        segment=segment,
        policy=policy,
        examination=examination,
        decision=decision,
        audit=audit,
        admission=admission,
        state_dir=state.root,
    )


def _resource_uri(examination: Examination) -> str:
    identification = examination.identification
    if identification.purl and identification.version:
        return f"{identification.purl}@{identification.version.value}"
    return examination.artifact.name


def _vsa(
    policy: Policy,
    examination: Examination,
    segment: str,
    now: datetime,
    key: SigningKey,
    *,
    inclusion: LogInclusion,
) -> str:
    statement = vsa_statement(
        artifact_name=Path(examination.artifact.name).name,
        artifact_sha256=examination.artifact.sha256.hex(),
        resource_uri=_resource_uri(examination),
        segment=segment,
        policy_uri=Path(policy.path).resolve().as_uri(),
        policy_sha256=policy.sha256,
        verified_at=now,
        inputs=examination.assessment.inputs,
        audit_log=inclusion.to_json(),
    )
    return json.dumps(sign_statement(statement, key), indent=2, sort_keys=True) + "\n"


def _operator() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (containers)
        return None


def _audit_event(
    policy: Policy, examination: Examination, decision: Decision, now: datetime
) -> AuditEvent:
    facts = examination.assessment
    identification = examination.identification
    return AuditEvent(
        kind="admit" if decision.allowed else "deny",
        at=now,
        artifact_name=examination.artifact.name,
        artifact_sha256=examination.artifact.sha256.hex(),
        segment=decision.segment,
        policy=PolicyRef(path=str(Path(policy.path).resolve()), sha256=policy.sha256),
        product=identification.purl,
        version=identification.version.value if identification.version else None,
        signers=tuple(
            SignerEvidence(
                method=fact.signer_kind,
                identity=fact.identity,
                issuer=fact.issuer,
                key_id=fact.key_id,
                vendor=fact.vendor,
                signed_at=fact.signed_at,
                log_index=fact.log_index,
                log_url=fact.log_url,
                trust_root=fact.trust_root,
                evidence_file=fact.bundle,
            )
            for fact in facts.signatures
        ),
        approvals=tuple(
            ApprovalEvidence(
                member=fact.member,
                group=fact.group,
                key_id=fact.key_id,
                approved_at=fact.approved_at,
                comment=fact.comment,
            )
            for fact in facts.approvals
        ),
        findings=tuple(
            FindingSummary(rule=child.rule, passed=child.passed, reason=child.reason)
            for child in decision.finding.children
        ),
        reason=None if decision.allowed else decision.reason,
        operator=_operator(),
        details=_evidence_summary(examination),
    )


def _evidence_summary(examination: Examination) -> dict[str, Any]:
    """What was examined, for the record: every file and its digest, and what did not verify."""
    identification = examination.identification
    return {
        "inputs": [
            {"path": path, "sha256": digest} for path, digest in examination.assessment.inputs
        ],
        "problems": [
            {"source": problem.source, "reason": problem.reason}
            for problem in examination.assessment.problems
        ],
        "product_basis": identification.basis,
        "version_source": identification.version.source if identification.version else None,
        "version_evidence": identification.version.evidence if identification.version else None,
        "evidence_strength": examination.evidence_strength,
        "identification_problem": identification.problem,
        # Which vulnerability data decided (None: the segment looks nothing up).
        "vulnerability_database": None
        if examination.vulnerabilities is None
        else {
            "path": examination.vulnerabilities.database,
            "snapshot": examination.vulnerabilities.snapshot,
        },
    }
