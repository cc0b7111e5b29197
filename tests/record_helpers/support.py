"""Factories and raw-database access shared by the record-layer tests."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from provenance.record import (
    Admission,
    AuditEvent,
    ContentStore,
    Ledger,
    PolicyRef,
    SignerEvidence,
    StateDir,
    record_admit,
)
from provenance.signing.keys import SigningKey
from provenance.transparency.inclusion import LogInclusion
from provenance.verification.signers import PublicKeySigner, key_id_of

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
POLICY = PolicyRef(path="policies/level1.yaml", sha256=hashlib.sha256(b"policy").hexdigest())
SIGNER = SignerEvidence(
    method="sigstore-identity",
    identity="https://github.com/acme/plc-fw/.github/workflows/release.yml@refs/tags/v4.2.1",
    issuer="https://token.actions.githubusercontent.com",
    vendor="acme-automation",
    signed_at=T0 - timedelta(days=3),
    log_index=123456,
    log_url="https://rekor.sigstore.dev",
    trust_root="embedded:production",
    evidence_file="plc-firmware-4.2.1.bin.sigstore.json",
)


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event(
    index: int,
    *,
    kind: str = "deny",
    sha256_hex: str | None = None,
    segment: str = "level1-controllers",
) -> AuditEvent:
    """A plausible event; `index` makes it distinct and sets its time."""
    return AuditEvent(
        kind="admit" if kind == "admit" else "deny",
        at=T0 + timedelta(minutes=index),
        artifact_name=f"plc-firmware-{index}.bin",
        artifact_sha256=sha256_hex or digest_of(f"artifact {index}".encode()),
        segment=segment,
        policy=POLICY,
        product="pkg:generic/acme/plc-firmware",
        version=f"4.2.{index}",
        signers=(SIGNER,),
        reason="expected a signature by acme-automation, got none" if kind == "deny" else None,
        operator="ot-engineer",
    )


def append_events(ledger: Ledger, count: int, *, signer: SigningKey | None = None) -> None:
    for index in range(1, count + 1):
        with ledger.transaction() as transaction:
            transaction.append_audit(event(index), signer=signer)


def admit_bytes(
    state: StateDir,
    ledger: Ledger,
    source: Path,
    data: bytes,
    *,
    index: int = 1,
    segment: str = "level1-controllers",
    vsa: bool = True,
    signer: SigningKey | None = None,
) -> Admission:
    """Write `data` to `source` and admit it the way the gate does, signed by `signer` (by
    default the deterministic `signing_key()`); the stand-in VSA carries the inclusion proof."""
    source.write_bytes(data)
    store = ContentStore(state)
    staged = store.stage_copy(source)
    try:
        with ledger.transaction() as transaction:
            admission, _ = record_admit(
                transaction,
                state,
                staged,
                event=event(index, kind="admit", sha256_hex=staged.sha256_hex, segment=segment),
                make_vsa=stand_in_vsa if vsa else None,
                evidence={"signers": 1},
                signer=signer or signing_key(),
            )
    finally:
        store.discard(staged)
    return admission


def stand_in_vsa(inclusion: LogInclusion) -> str:
    """Not a signed VSA: enough for the record layer, which stores it as text."""
    return json.dumps({"payloadType": "application/vnd.in-toto+json", **inclusion.to_json()})


def signing_key(kind: str = "ed25519", seed: bytes = b"site key") -> SigningKey:
    """A deterministic site key (Ed25519) or a fresh P-256 one."""
    if kind == "ed25519":
        private = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest())
        return SigningKey(private=private, source="test")
    return SigningKey(private=ec.generate_private_key(ec.SECP256R1()), source="test")


def public_signer(key: SigningKey) -> PublicKeySigner:
    return PublicKeySigner(key=key.public, source="test", key_id=key_id_of(key.public))


def tamper(ledger_path: Path, *statements: str | tuple[str, tuple[object, ...]]) -> None:
    """Edit the database the way an attacker with write access would: triggers dropped."""
    connection = sqlite3.connect(ledger_path, isolation_level=None)
    try:
        for trigger in ("audit_no_update", "audit_no_delete"):
            connection.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for table in ("admissions", "merkle_nodes", "checkpoints", "log_origin"):
            for action in ("update", "delete"):
                connection.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
        for statement in statements:
            if isinstance(statement, tuple):
                connection.execute(statement[0], statement[1])
            else:
                connection.execute(statement)
    finally:
        connection.close()
