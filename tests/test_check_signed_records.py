"""`check` trusts only signed records: an insider's SQL edits make it answer exit 1, through the
CLI; `check --vsa` verifies the VSA's inclusion proof; older ledgers are upgraded.

The site: 4.2.1 admitted to level 3 (record 1), 3.9.0 denied (record 2), made once per module;
each test edits its own copy.
"""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from provenance.commands.admit import admit
from provenance.record.audit import record_hash
from provenance.record.migrations import LATEST_VERSION
from provenance.signing.dsse import sign_statement
from provenance.signing.keys import generate_key, load_signing_key
from provenance.transparency.merkle import node_position
from tests.conftest import CliResult, CliRunner
from tests.gate_helpers import L1, L3, Site, make_site
from tests.record_helpers.support import tamper

FIRMWARE = "plc-firmware-4.2.1.bin"


@dataclass(frozen=True)
class Gate:
    site: Site
    vsa: Path  # the VSA of record 1, as a workstation keeps it

    @property
    def ledger(self) -> Path:
        return self.site.state / "ledger.sqlite3"

    def check(self, cli: CliRunner, *extra: str | Path, segment: str = L3) -> CliResult:
        result = cli("check", self.site.delivery / FIRMWARE, "--segment", segment,
                     "--state-dir", self.site.state, *extra)  # fmt: skip
        assert "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr
        return result


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Gate:
    site = make_site(tmp_path_factory.mktemp("gate"))
    allowed = admit(site.delivery / FIRMWARE, policy_path=site.policy, segment=L3,
                    state_dir=site.state)  # fmt: skip
    denied = admit(site.delivery / "plc-firmware-3.9.0.bin", policy_path=site.policy, segment=L3,
                   state_dir=site.state)  # fmt: skip
    assert (allowed.allowed, denied.allowed) == (True, False)
    assert allowed.admission is not None
    assert allowed.admission.vsa_path is not None
    vsa = site.state.parent / "workstation.vsa.json"
    shutil.copy(site.state / allowed.admission.vsa_path, vsa)
    return Gate(site, vsa)


@pytest.fixture
def gate(made: Gate, tmp_path: Path) -> Gate:
    root = tmp_path / "copy"
    shutil.copytree(made.site.state.parent, root)
    site = Site(root / "delivery", root / "state", root / "delivery" / "policy.yaml")
    return Gate(site, root / made.vsa.name)


def test_an_intact_admission_is_answered_from_its_signed_record(cli: CliRunner, gate: Gate) -> None:
    result = gate.check(cli)
    assert result.code == 0
    assert result.stderr.startswith(f"OK: {gate.site.delivery / FIRMWARE}: admitted to {L3} on ")
    assert result.stderr.rstrip().endswith("signed record 1, in the log's checkpoint at 2 records")


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        (f"UPDATE admissions SET segment = '{L1}'",
         f"segment: the row says '{L1}', signed record 1 says '{L3}'"),
        ("UPDATE admissions SET decided_at = '2030-01-01T00:00:00.000000Z'",
         "time: the row says '2030-01-01T00:00:00.000000Z', signed record 1 says '"),
        ("UPDATE admissions SET policy_sha256 = '" + "0" * 64 + "'",
         "policy sha256: the row says '" + "0" * 64 + "', signed record 1 says '"),
        ("UPDATE admissions SET version = '9.9.9'",
         "version: the row says '9.9.9', signed record 1 says '4.2.1'"),
    ],
)  # fmt: skip
def test_a_row_edited_in_sql_is_refused(
    cli: CliRunner, gate: Gate, statement: str, reason: str
) -> None:
    tamper(gate.ledger, statement)
    segment = L1 if "segment" in statement else L3
    result = gate.check(cli, segment=segment)
    assert result.code == 1
    assert result.stderr.startswith(
        f"FAIL: {gate.site.delivery / FIRMWARE}: not admitted to {segment}: ledger row does not "
        f"match its signed record: {reason}"
    )


def test_a_row_pointing_at_a_denial_is_refused(cli: CliRunner, gate: Gate) -> None:
    denied = gate.site.delivery / "plc-firmware-3.9.0.bin"
    with sqlite3.connect(gate.ledger) as database:
        (digest,) = database.execute(
            "SELECT json_extract(event, '$.artifact_sha256') FROM audit WHERE seq = 2"
        ).fetchone()
    # A row for the denied file, copied from the genuine one, naming the denial's record.
    tamper(
        gate.ledger,
        (
            "INSERT INTO admissions (artifact_sha256, artifact_name, segment, product, version, "
            "policy_path, policy_sha256, decided_at, store_path, vsa_path, vsa, evidence, "
            "audit_seq) SELECT ?, artifact_name, segment, product, version, policy_path, "
            "policy_sha256, decided_at, store_path, vsa_path, vsa, evidence, 2 FROM admissions",
            (digest,),
        ),
    )
    result = cli("check", denied, "--segment", L3, "--state-dir", gate.site.state)
    assert result.code == 1
    assert "ledger row does not match its signed record: kind: the row says 'admit', signed " \
        "record 2 says 'deny'" in result.stderr  # fmt: skip


def test_a_record_edited_and_rehashed_fails_its_signature(cli: CliRunner, gate: Gate) -> None:
    with sqlite3.connect(gate.ledger) as database:
        query = "SELECT event, prev_hash FROM audit WHERE seq = 1"
        event, prev = database.execute(query).fetchone()
    edited = event.replace(L3, L1)
    tamper(
        gate.ledger,
        ("UPDATE audit SET event = ?, hash = ? WHERE seq = 1",
         (edited, record_hash(1, prev, edited))),
        f"UPDATE admissions SET segment = '{L1}'",
    )  # fmt: skip
    result = gate.check(cli, segment=L1)
    assert result.code == 1
    assert "ledger row does not match its signed record: record 1 is not signed by the site " \
        "key" in result.stderr  # fmt: skip


def test_records_beyond_the_newest_checkpoint_are_refused(cli: CliRunner, gate: Gate) -> None:
    tamper(gate.ledger, "DELETE FROM checkpoints WHERE size = 2")
    result = gate.check(cli)
    assert result.code == 1
    assert result.stderr.rstrip().endswith(
        f"not admitted to {L3}: the audit log holds 2 records, its newest signed checkpoint 1 "
        "(records added without the site key, or checkpoints removed)"
        ". Next: the ledger was changed after the gate signed it: run `provenance audit verify` "
        "at the gate and have the file admitted again"
    )


def test_a_later_record_edited_breaks_the_checkpoint_root(cli: CliRunner, gate: Gate) -> None:
    """The denial after the admission is rewritten (its reason): its leaf changes, so the log
    from the admission on is no longer the one the checkpoint signed."""
    tamper(gate.ledger, "UPDATE audit SET event = replace(event, 'expected', 'EXPECTED') "
                        "WHERE seq = 2")  # fmt: skip
    result = gate.check(cli)
    assert result.code == 1
    assert result.stderr.rstrip().endswith(
        f"not admitted to {L3}: the audit log from record 1 on is not the log the site signed at "
        "2 records (records or the stored tree edited)"
        ". Next: the ledger was changed after the gate signed it: run `provenance audit verify` "
        "at the gate and have the file admitted again"
    )


def test_a_stored_tree_node_edited_fails_the_proof_and_stops_the_gate(
    cli: CliRunner, gate: Gate
) -> None:
    site = gate.site
    readmitted = admit(site.delivery / FIRMWARE, policy_path=site.policy, segment=L3,
                       state_dir=site.state)  # fmt: skip
    assert readmitted.audit.seq == 3
    # The admission is now record 3: the tree's border before it, the subtree of records 1 and
    # 2 (level 1, index 0: stored at position 2), is read from the stored nodes.
    position = node_position(1, 0)
    zeroed = ("UPDATE merkle_nodes SET hash = ? WHERE position = ?", (bytes(32), position))
    tamper(gate.ledger, zeroed)
    result = gate.check(cli)
    assert result.code == 1
    assert result.stderr.rstrip().endswith(
        f"not admitted to {L3}: the audit log from record 3 on is not the log the site signed "
        "at 3 records (records or the stored tree edited)"
        ". Next: the ledger was changed after the gate signed it: run `provenance audit verify` "
        "at the gate and have the file admitted again"
    )
    # The gate does not sign a tree that contradicts its own checkpoints.
    refused = cli(*site.admit_args(FIRMWARE, L3))
    assert refused.code == 2
    assert "refusing to extend the audit log: the stored tree's root at size 3 is not the one " \
        "its signed checkpoint names (records or nodes edited?)" in refused.stderr  # fmt: skip


def test_a_later_denial_withdraws_the_admission_until_admitted_again(
    cli: CliRunner, gate: Gate
) -> None:
    site = gate.site
    denied = admit(site.delivery / FIRMWARE, policy_path=site.policy, segment=L3,
                   state_dir=site.state, version="9.9")  # fmt: skip
    assert not denied.allowed
    result = gate.check(cli)
    assert result.code == 1
    assert f"not admitted to {L3}: admitted by record 1, then denied by record 3 on " in (
        result.stderr
    )
    again = admit(site.delivery / FIRMWARE, policy_path=site.policy, segment=L3,
                  state_dir=site.state)  # fmt: skip
    assert again.allowed
    result = gate.check(cli)
    assert result.code == 0
    assert "signed record 4, in the log's checkpoint at 4 records" in result.stderr


def test_the_site_key_decides(cli: CliRunner, gate: Gate, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    generate_key(other, "ed25519")
    wrong = gate.check(cli, "--site-key", tmp_path / "other.key.pub")
    assert wrong.code == 1
    assert "expected a signature by the site key (sha256:" in wrong.stderr
    (gate.site.state / "site.key.pub").unlink()
    missing = gate.check(cli)
    assert missing.code == 2
    assert missing.stderr.startswith(
        "error: check trusts only signed records: expected the site's public key: give "
        "--site-key PUB"
    )
    by_policy_key = gate.check(cli, "--site-key", gate.site.state.parent / "missing.pub")
    assert by_policy_key.code == 2


# -- check --vsa -----------------------------------------------------------------------------


def _resign(gate: Gate, edit: dict[str, object] | None) -> Path:
    """The workstation's VSA with its auditLog replaced (None: removed), signed again with the
    site key: only the inclusion proof can catch what is wrong."""
    envelope = json.loads(gate.vsa.read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    if edit is None:
        del statement["predicate"]["auditLog"]
    else:
        statement["predicate"]["auditLog"].update(edit)
    key = load_signing_key(gate.site.state / "site.key")
    path = gate.vsa.with_name("resigned.vsa.json")
    path.write_text(json.dumps(sign_statement(statement, key)))
    return path


def check_vsa(cli: CliRunner, gate: Gate, vsa: Path) -> CliResult:
    return cli("check", gate.site.delivery / FIRMWARE, "--segment", L3, "--vsa", vsa,
               "--site-key", gate.site.state / "site.key.pub")  # fmt: skip


def test_check_vsa_verifies_the_inclusion_proof_offline(cli: CliRunner, gate: Gate) -> None:
    good = check_vsa(cli, gate, gate.vsa)
    assert good.code == 0, good.stderr
    assert "audit record 1 included in the site's checkpoint at 1 records)" in good.stderr
    without = check_vsa(cli, gate, _resign(gate, None))
    assert without.code == 1
    assert "the VSA carries no audit-log inclusion proof (issued before VSAs carried one)" in (
        without.stderr
    )
    moved = check_vsa(cli, gate, _resign(gate, {"recordHash": "ab" * 32}))
    assert moved.code == 1
    assert "the inclusion proof of audit record 1 does not lead to the root of its " \
        "checkpoint (size 1)" in moved.stderr  # fmt: skip
    malformed = check_vsa(cli, gate, _resign(gate, {"leafIndex": -1}))
    assert malformed.code == 1
    assert "auditLog.leafIndex: expected an integer >= 0" in malformed.stderr


# -- a ledger from the release before the Merkle tree (schema 1) -----------------------------


def downgrade_to_schema_1(ledger: Path) -> None:
    """The file as the previous release left it: records and rows, no tree, checkpoints or
    origin (what schemas 2 and 3 add, dropped)."""
    connection = sqlite3.connect(ledger, isolation_level=None)
    try:
        tables = ("merkle_nodes", "checkpoints", "log_origin", "log_adopted", "ledger_moved")
        for table in (*tables, "kit_imports"):
            connection.execute(f"DROP TABLE {table}")  # its triggers go with it
        for index in ("admissions_by_store_path", "admissions_by_vsa_path"):
            connection.execute(f"DROP INDEX {index}")
        connection.execute("PRAGMA user_version = 1")
    finally:
        connection.close()


def test_a_schema_1_ledger_is_upgraded_by_the_next_admit(cli: CliRunner, gate: Gate) -> None:
    downgrade_to_schema_1(gate.ledger)
    read_only = gate.check(cli)
    assert read_only.code == 2
    assert f"schema 1, this release reads schema {LATEST_VERSION}; run a command that writes " \
        "to it (such as `provenance admit`) once to upgrade it" in read_only.stderr  # fmt: skip
    denied = cli(*gate.site.admit_args("plc-firmware-3.9.0.bin", L3))
    assert denied.code == 1, denied.stderr
    # The tree was built from the two old records, a checkpoint signed for them, then the
    # new record appended with its own.
    with sqlite3.connect(gate.ledger) as database:
        sizes = [row[0] for row in database.execute("SELECT size FROM checkpoints")]
    assert sizes == [2, 3]
    result = gate.check(cli)
    assert result.code == 0, result.stderr
    assert "signed record 1, in the log's checkpoint at 3 records" in result.stderr
    verified = cli("audit", "verify", "--state-dir", gate.site.state)
    assert verified.code == 0, verified.stdout
    assert "Merkle tree of 3 records matches its newest signed checkpoint" in verified.stderr


def test_a_schema_1_ledger_with_a_gap_is_not_upgraded(cli: CliRunner, gate: Gate) -> None:
    downgrade_to_schema_1(gate.ledger)
    tamper(gate.ledger, "DELETE FROM audit WHERE seq = 1")
    result = cli(*gate.site.admit_args("plc-firmware-3.9.0.bin", L3))
    assert result.code == 2
    assert result.stderr == (
        "error: audit log: record 2 follows record 0; expected records numbered without gaps to "
        "build the log's Merkle tree (records removed?). The ledger was not upgraded; run "
        "`provenance audit verify` with the release that wrote it\n"
    )
    with sqlite3.connect(gate.ledger) as database:
        assert database.execute("PRAGMA user_version").fetchone() == (1,)
        tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
    assert "merkle_nodes" not in tables, "the migration rolled back whole"
