"""The hash-chained audit log: each kind of tampering is detected and named; signatures; export."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from provenance.record import (
    ApprovalEvidence,
    AuditEvent,
    FindingSummary,
    Ledger,
    LedgerError,
    StateDir,
    export_csv,
    export_json,
    verify_audit_chain,
)
from provenance.record.audit import GENESIS_HASH, record_hash
from provenance.record.audit_event import MalformedEvent
from provenance.record.audit_export import CSV_COLUMNS
from provenance.record.audit_keys import key_signature_check
from tests.record_helpers.support import (
    SIGNER,
    T0,
    append_events,
    event,
    public_signer,
    signing_key,
    tamper,
)


@pytest.fixture
def state(tmp_path: Path) -> StateDir:
    return StateDir.open(tmp_path / "state", create=True)


@pytest.fixture
def ledger(state: StateDir) -> Iterator[Ledger]:
    with Ledger.open(state.ledger_path, create=True) as opened:
        yield opened


def problems(ledger: Ledger) -> list[str]:
    return list(verify_audit_chain(ledger.audit_records()).problems)


# -- an intact chain ---------------------------------------------------------------------


def test_an_appended_log_verifies(ledger: Ledger) -> None:
    append_events(ledger, 20)
    records = list(ledger.audit_records())
    result = verify_audit_chain(records)
    assert result.ok, result.problems
    assert (result.record_count, result.signed_count, result.signatures_checked) == (20, 0, False)
    assert result.head == (20, records[-1].hash.hex())
    assert [r.seq for r in records] == list(range(1, 21))
    assert records[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(records))
    assert result.summary() == (
        f"audit log intact: 20 records, 0 of 20 signed (signatures not checked); head: record "
        f"20, hash {records[-1].hash.hex()}"
    )


def test_the_hash_is_domain_separated_and_covers_seq_link_and_content() -> None:
    base = record_hash(1, GENESIS_HASH, "{}")
    assert base != record_hash(2, GENESIS_HASH, "{}")
    assert base != record_hash(1, b"\x01" * 32, "{}")
    assert base != record_hash(1, GENESIS_HASH, "{ }")
    assert base != hashlib.sha256(b"{}").digest()


def test_the_event_is_stored_as_canonical_json(ledger: Ledger) -> None:
    append_events(ledger, 1)
    record = next(ledger.audit_records())
    document = json.loads(record.event_json)
    assert record.event_json == json.dumps(document, sort_keys=True, separators=(",", ":"))
    assert record.event() == event(1)
    assert record.at == "2026-03-02T09:31:00.000000Z"


def test_the_empty_log_verifies() -> None:
    result = verify_audit_chain([])
    assert result.ok
    assert result.summary() == "audit log is empty"


# -- tampering ---------------------------------------------------------------------------


def test_an_edited_record_is_named(ledger: Ledger, state: StateDir) -> None:
    append_events(ledger, 10)
    edited = event(7).to_json().replace('"deny"', '"admit"')
    tamper(state.ledger_path, ("UPDATE audit SET event = ? WHERE seq = 7", (edited,)))
    assert problems(ledger) == ["record 7: hash does not match its content (edited?)"]


def test_an_edit_with_recomputed_hash_breaks_the_next_link(ledger: Ledger, state: StateDir) -> None:
    append_events(ledger, 10)
    record = list(ledger.audit_records())[6]
    edited = record.event_json.replace("ot-engineer", "somebody-else")
    new_hash = record_hash(7, record.prev_hash, edited)
    tamper(
        state.ledger_path,
        ("UPDATE audit SET event = ?, hash = ? WHERE seq = 7", (edited, new_hash)),
    )
    assert problems(ledger) == [
        "record 8: previous-hash does not match record 7 (record 7 edited and re-hashed, or a "
        "record inserted or removed?)"
    ]


def test_a_removed_record_is_named(ledger: Ledger, state: StateDir) -> None:
    append_events(ledger, 10)
    tamper(state.ledger_path, "DELETE FROM audit WHERE seq = 8")
    assert problems(ledger) == ["record 9: follows record 7; record 8 is missing"]


def test_removed_records_at_the_start_are_named(ledger: Ledger, state: StateDir) -> None:
    append_events(ledger, 5)
    tamper(state.ledger_path, "DELETE FROM audit WHERE seq <= 2")
    assert problems(ledger) == ["record 3: is the first record; records 1-2 are missing"]


def test_swapped_records_are_named(ledger: Ledger, state: StateDir) -> None:
    append_events(ledger, 10)
    tamper(
        state.ledger_path,
        "UPDATE audit SET seq = -4 WHERE seq = 4",
        "UPDATE audit SET seq = 4 WHERE seq = 5",
        "UPDATE audit SET seq = 5 WHERE seq = -4",
    )
    assert problems(ledger) == [
        "record 4: holds the record written as number 5 (records reordered?)",
        "record 5: holds the record written as number 4 (records reordered?)",
    ]


def test_swapped_contents_are_named(ledger: Ledger, state: StateDir) -> None:
    append_events(ledger, 6)
    fourth, fifth = list(ledger.audit_records())[3:5]
    tamper(
        state.ledger_path,
        ("UPDATE audit SET event = ? WHERE seq = 4", (fifth.event_json,)),
        ("UPDATE audit SET event = ? WHERE seq = 5", (fourth.event_json,)),
    )
    assert problems(ledger) == [
        "record 4: hash does not match its content (edited?)",
        "record 5: hash does not match its content (edited?)",
    ]


def test_a_record_inserted_in_the_middle_is_named(ledger: Ledger, state: StateDir) -> None:
    append_events(ledger, 8)
    records = list(ledger.audit_records())
    forged = event(99).to_json()
    # The attacker renumbers records 5.. and inserts a well-formed record 5 chained to 4.
    statements: list[str | tuple[str, tuple[object, ...]]] = [
        "UPDATE audit SET seq = -seq WHERE seq >= 5",
        "UPDATE audit SET seq = 1 - seq WHERE seq < 0",
    ]
    statements.append(
        (
            "INSERT INTO audit (seq, at, event, prev_hash, hash) VALUES (5, ?, ?, ?, ?)",
            (
                json.loads(forged)["at"],
                forged,
                records[3].hash,
                record_hash(5, records[3].hash, forged),
            ),
        )
    )
    tamper(state.ledger_path, *statements)
    found = problems(ledger)
    assert found[0] == "record 6: holds the record written as number 5 (records reordered?)"
    assert "record 7: holds the record written as number 6 (records reordered?)" in found


def test_an_edited_time_column_is_named(ledger: Ledger, state: StateDir) -> None:
    append_events(ledger, 3)
    tamper(state.ledger_path, "UPDATE audit SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 2")
    assert problems(ledger) == [
        "record 2: time column says 2020-01-01T00:00:00.000000Z, its content says "
        "2026-03-02T09:32:00.000000Z (edited?)"
    ]


def test_content_that_is_not_an_event_is_named(ledger: Ledger, state: StateDir) -> None:
    append_events(ledger, 2)
    bogus = '{"format":1}'
    records = list(ledger.audit_records())
    tamper(
        state.ledger_path,
        (
            "UPDATE audit SET event = ?, hash = ? WHERE seq = 2",
            (bogus, record_hash(2, records[0].hash, bogus)),
        ),
    )
    assert problems(ledger) == ["record 2: content is not a valid audit event: event.kind: missing"]


# -- signatures --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ed25519", "p256"])
def test_signed_records_verify_with_the_site_key_only(ledger: Ledger, kind: str) -> None:
    key = signing_key(kind)
    append_events(ledger, 5, signer=key)
    records = list(ledger.audit_records())
    assert all(record.key_id == key.key_id for record in records)
    good = verify_audit_chain(records, verify_signature=key_signature_check([public_signer(key)]))
    assert good.ok, good.problems
    assert (good.signed_count, good.signatures_checked) == (5, True)
    other = signing_key("ed25519", seed=b"somebody else")
    bad = verify_audit_chain(records, verify_signature=key_signature_check([public_signer(other)]))
    assert list(bad.problems) == [
        f"record {seq}: signature does not verify with any trusted key (the record names key "
        f"{key.key_id})"
        for seq in range(1, 6)
    ]


def test_a_recomputed_edit_of_a_signed_log_is_caught_by_the_signature(
    ledger: Ledger, state: StateDir
) -> None:
    key = signing_key()
    append_events(ledger, 3, signer=key)
    records = list(ledger.audit_records())
    edited = records[2].event_json.replace("ot-engineer", "intruder")
    tamper(
        state.ledger_path,
        (
            "UPDATE audit SET event = ?, hash = ? WHERE seq = 3",
            (edited, record_hash(3, records[1].hash, edited)),
        ),
    )
    check = key_signature_check([public_signer(key)])
    assert list(verify_audit_chain(ledger.audit_records()).problems) == []  # undetectable
    assert list(verify_audit_chain(ledger.audit_records(), verify_signature=check).problems) == [
        f"record 3: signature does not verify with any trusted key (the record names key "
        f"{key.key_id})"
    ]


def test_a_removed_signature_is_named(ledger: Ledger, state: StateDir) -> None:
    key = signing_key()
    append_events(ledger, 4, signer=key)
    tamper(state.ledger_path, "UPDATE audit SET signature = NULL, key_id = NULL WHERE seq = 3")
    check = key_signature_check([public_signer(key)])
    result = verify_audit_chain(ledger.audit_records(), verify_signature=check)
    assert list(result.problems) == [
        "record 3: not signed, but record 1 before it is (signature removed, or record inserted?)"
    ]


def test_unsigned_records_are_refused_when_signatures_are_required(ledger: Ledger) -> None:
    append_events(ledger, 2)
    result = verify_audit_chain(ledger.audit_records(), require_signatures=True)
    assert list(result.problems) == [
        "record 1: not signed; expected a site-key signature",
        "record 2: not signed; expected a site-key signature",
    ]


def test_a_wrong_key_id_is_named(ledger: Ledger, state: StateDir) -> None:
    key = signing_key()
    append_events(ledger, 1, signer=key)
    tamper(state.ledger_path, "UPDATE audit SET key_id = 'sha256:other' WHERE seq = 1")
    result = verify_audit_chain(
        ledger.audit_records(), verify_signature=key_signature_check([public_signer(key)])
    )
    assert list(result.problems) == [
        f"record 1: signed by key {key.key_id}, but the record names sha256:other"
    ]


# -- the event contract ------------------------------------------------------------------


def test_an_event_round_trips_through_its_json() -> None:
    full = replace(
        event(3, kind="admit"),
        approvals=(
            ApprovalEvidence(
                member="alice",
                group="ot-security-team",
                key_id="sha256:" + "a" * 64,
                approved_at=T0,
                comment="reviewed release notes",
            ),
        ),
        findings=(FindingSummary("signed_by", True, "signed by acme-automation"),),
        details={"newest_admitted": "4.2.0", "nested": {"list": [1, 2]}},
    )
    assert AuditEvent.from_json(full.to_json()) == full
    assert full.decision == "allow"
    assert event(1).decision == "deny"


def test_event_parsing_is_strict() -> None:
    document = json.loads(event(1).to_json())
    document["unexpected"] = True
    with pytest.raises(MalformedEvent, match=r"^event: unknown field\(s\) unexpected$"):
        AuditEvent.from_json(json.dumps(document))
    document = json.loads(event(1).to_json())
    document["signers"][0]["log_index"] = "12"
    with pytest.raises(MalformedEvent) as raised:
        AuditEvent.from_json(json.dumps(document))
    assert str(raised.value) == "event.signers[0].log_index: expected an integer or null, got '12'"
    document = json.loads(event(1).to_json())
    document["format"] = 2
    with pytest.raises(MalformedEvent, match="event format: expected 1, got 2"):
        AuditEvent.from_json(json.dumps(document))
    with pytest.raises(MalformedEvent, match="event kind: expected one of"):
        AuditEvent.from_json(event(1).to_json().replace('"deny"', '"vanish"'))


def test_events_refuse_naive_times_bad_digests_and_unnamed_admissions() -> None:
    with pytest.raises(ValueError, match="expected a timezone-aware datetime, got naive"):
        replace(event(1), at=T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="artifact_sha256: expected 64 lowercase hexadecimal"):
        replace(event(1), artifact_sha256="sha256:abc")
    with pytest.raises(ValueError, match="an 'admit' audit event names its segment and policy"):
        replace(event(1, kind="admit"), policy=None)


# -- export ------------------------------------------------------------------------------


def test_csv_export_has_the_fields_an_auditor_asks_for(ledger: Ledger) -> None:
    key = signing_key()
    with ledger.transaction() as transaction:
        transaction.append_audit(event(1, kind="admit"), signer=key)
        transaction.append_audit(
            replace(event(2), artifact_name='=HYPERLINK("http://evil")', signers=()),
            signer=key,
        )
    records = list(ledger.audit_records())
    rows = list(csv.DictReader(io.StringIO(export_csv(records))))
    assert tuple(rows[0]) == CSV_COLUMNS
    admitted, denied = rows
    assert admitted["seq"] == "1"
    assert admitted["time"] == "2026-03-02T09:31:00.000000Z"
    assert (admitted["event"], admitted["decision"]) == ("admit", "allow")
    assert admitted["artifact_sha256"] == event(1).artifact_sha256
    assert admitted["segment"] == "level1-controllers"
    assert admitted["signer"] == (
        f"identity {SIGNER.identity} (issuer {SIGNER.issuer}) [vendor acme-automation]"
    )
    assert admitted["signature_log_index"] == "123456"
    assert admitted["signing_time"] == "2026-02-27T09:30:00.000000Z"
    assert admitted["verification"] == (
        f"SHA-256 digest {event(1).artifact_sha256}; sigstore-identity signature by identity "
        f"{SIGNER.identity} (issuer {SIGNER.issuer}) [vendor acme-automation], transparency "
        "log entry 123456 at https://rekor.sigstore.dev, signed 2026-02-27T09:30:00.000000Z, "
        "trust root embedded:production"
    )
    assert admitted["policy_path"] == "policies/level1.yaml"
    assert len(admitted["policy_sha256"]) == 64
    assert admitted["record_hash"] == records[0].hash.hex()
    assert admitted["record_signing_key"] == key.key_id
    assert denied["decision"] == "deny"
    assert denied["reason"] == "expected a signature by acme-automation, got none"
    assert denied["artifact_name"] == '\'=HYPERLINK("http://evil")', "formula neutralised"
    assert denied["signer"] == ""


def test_json_export_keeps_every_field_and_the_chain_result(ledger: Ledger) -> None:
    append_events(ledger, 3)
    records = list(ledger.audit_records())
    verification = verify_audit_chain(records)
    document = json.loads(export_json(records, verification))
    assert document["schema"] == "https://ot-provenance.dev/audit-export/v1"
    assert document["chain"]["intact"] is True
    assert document["chain"]["head"] == {"seq": 3, "hash": records[-1].hash.hex()}
    exported = document["records"]
    assert [r["seq"] for r in exported] == [1, 2, 3]
    for record, item in zip(records, exported, strict=True):
        assert item["hash"] == record.hash.hex()
        assert item["prev_hash"] == record.prev_hash.hex()
        # An auditor can recompute each hash from the export alone.
        content = json.dumps(item["event"], sort_keys=True, separators=(",", ":"))
        assert record_hash(item["seq"], bytes.fromhex(item["prev_hash"]), content) == record.hash


def test_since_selects_records_at_or_after_a_time(ledger: Ledger) -> None:
    append_events(ledger, 5)
    since = T0 + timedelta(minutes=3)
    assert [r.seq for r in ledger.audit_records(since=since)] == [3, 4, 5]
    assert [r.seq for r in ledger.audit_records(since=T0 + timedelta(days=1))] == []


def test_export_of_a_damaged_record_is_an_error_naming_it(ledger: Ledger, state: StateDir) -> None:
    append_events(ledger, 2)
    tamper(state.ledger_path, "UPDATE audit SET event = 'not json' WHERE seq = 2")
    with pytest.raises(LedgerError) as raised:
        export_csv(ledger.audit_records())
    assert str(raised.value).startswith(
        "audit record 2: content is not a valid audit event (not JSON ("
    )
