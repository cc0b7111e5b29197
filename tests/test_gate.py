"""The gate end to end: admit, deny, check, audit verify and export, and the faults around them."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from fixtures.generate import VENDOR_WORKFLOW
from provenance.commands.admit import admit
from provenance.errors import UsageError
from provenance.record import ContentStore, LedgerError
from tests.conftest import CliResult, CliRunner
from tests.gate_helpers import L1, L3, REPO, Site, make_site, sign_release

SCHEMA = json.loads((REPO / "provenance/report/schemas/admit-result.v1.schema.json").read_text())
HEAVY = {"sigstore", "sigstore_models", "in_toto", "securesystemslib", "cyclonedx", "pydantic"}


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)


def verdict(result: CliResult) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_admit_allowed_writes_store_vsa_ledger_and_audit(cli: CliRunner, site: Site) -> None:
    result = cli(*site.admit_args("plc-firmware-4.2.1.bin", L1, "--format", "json"))
    assert result.code == 0, result.stderr
    assert verdict(result) == f"OK: {site.delivery / 'plc-firmware-4.2.1.bin'}: admitted to {L1}"
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["decision"] == "allow"
    assert [f["rule"] for f in report["findings"]] == [
        "vendor_signature", "signed_by", "freshness", "provenance", "in_toto", "sbom", "licenses",
        "version", "rollback", "approvals",
    ]  # fmt: skip
    assert report["evidence_strength"] == "attested-build"
    assert report["version"] == {
        "value": "4.2.1",
        "source": "signed-identity",
        "evidence": str(site.delivery / "plc-firmware-4.2.1.bin.sigstore.json"),
    }
    assert report["product"] == "pkg:generic/acme-automation/plc-firmware"
    assert report["product_basis"] == (
        "the name 'plc-firmware-4.2.1.bin' acme-automation signed for it; the purl of the SBOM "
        "acme-automation signed for it; its file name"
    )
    stored = Path(report["admission"]["store_path"])
    original = (site.delivery / "plc-firmware-4.2.1.bin").read_bytes()
    assert stored.read_bytes() == original
    assert stored.name == hashlib.sha256(original).hexdigest()

    check = cli("check", site.delivery / "plc-firmware-4.2.1.bin", "--segment", L1,
                "--state-dir", site.state)  # fmt: skip
    assert check.code == 0
    assert verdict(check).startswith(
        f"OK: {site.delivery / 'plc-firmware-4.2.1.bin'}: admitted to {L1} on "
    )
    # Admitted to level 1 is not admitted to level 3: the check is per segment.
    other = cli("check", site.delivery / "plc-firmware-4.2.1.bin", "--segment", L3,
                "--state-dir", site.state, "--policy", site.policy)  # fmt: skip
    assert other.code == 1
    assert verdict(other).endswith(
        "not admitted to level3-operations: it is admitted to level1-controllers only. Next: "
        "install it only there, or run `provenance admit FILE --policy P --segment "
        "level3-operations` at the gate"
    )

    # The VSA alone answers the same question on a workstation without the ledger.
    vsa = report["admission"]["vsa_path"]
    by_vsa = cli("check", site.delivery / "plc-firmware-4.2.1.bin", "--segment", L1, "--vsa", vsa,
                 "--site-key", site.state / "site.key.pub")  # fmt: skip
    assert by_vsa.code == 0, by_vsa.stderr
    assert f"(VSA {vsa}, signed by sha256:" in verdict(by_vsa)
    wrong_segment = cli("check", site.delivery / "plc-firmware-4.2.1.bin", "--segment", L3,
                        "--vsa", vsa, "--site-key", site.state / "site.key.pub")  # fmt: skip
    assert wrong_segment.code == 1
    assert (
        "expected a VSA admitting to segment level3-operations (OT_PROVENANCE_SEGMENT_"
        "level3-operations), got one admitting to level1-controllers: use the VSA the "
        "gate issued for level3-operations, or admit the file to it"
    ) in verdict(wrong_segment)
    assert "['" not in verdict(wrong_segment)  # no Python list syntax
    tampered = site.delivery / "tampered.bin"
    tampered.write_bytes(original + b"\x00")
    changed = cli("check", tampered, "--segment", L1, "--vsa", vsa,
                  "--site-key", site.state / "site.key.pub")  # fmt: skip
    assert changed.code == 1
    assert "expected a statement about sha256:" in verdict(changed)


def test_denied_artifact_is_recorded_but_not_admitted(cli: CliRunner, site: Site) -> None:
    result = cli(*site.admit_args("plc-firmware-3.9.0.bin", L3))
    assert result.code == 1
    assert verdict(result) == (
        f"FAIL: {site.delivery / 'plc-firmware-3.9.0.bin'}: denied for {L3}: version: expected a "
        "version matching >=4.0,<5, got 3.9.0 (signed-identity)"
    )
    assert "  FAIL version " in result.stdout
    assert [p for p in (site.state / "store").rglob("*") if p.is_file()] == []
    exported = json.loads(cli("audit", "export", "--state-dir", site.state).stdout)
    (record,) = exported["records"]
    assert record["event"]["kind"] == "deny"
    assert record["event"]["reason"].startswith("version: expected a version matching")
    assert exported["chain"]["intact"] is True


def test_level1_needs_two_approvals(cli: CliRunner, site: Site) -> None:
    (site.delivery / "plc-firmware-4.2.1.bin.approval-bob.json").unlink()
    result = cli(*site.admit_args("plc-firmware-4.2.1.bin", L1))
    assert result.code == 1
    assert verdict(result).endswith(
        "approvals: expected 2 approvals from ot-security for level1-controllers, got 1 (alice)"
    )


def test_rollback_to_an_older_version_is_denied(cli: CliRunner, site: Site) -> None:
    sign_release(site, "4.3.0")
    assert cli(*site.admit_args("plc-firmware-4.3.0.bin", L3)).code == 0
    result = cli(*site.admit_args("plc-firmware-4.2.1.bin", L3))
    assert result.code == 1
    assert verdict(result).endswith(
        "rollback: expected version 4.3.0 or newer (newest pkg:generic/acme-automation/"
        "plc-firmware admitted to level3-operations), got 4.2.1"
    )


def test_audit_verify_names_an_edited_record(cli: CliRunner, site: Site) -> None:
    assert cli(*site.admit_args("plc-firmware-4.2.1.bin", L3)).code == 0
    assert cli(*site.admit_args("plc-firmware-3.9.0.bin", L3)).code == 1
    good = cli("audit", "verify", "--state-dir", site.state)
    assert good.code == 0
    assert verdict(good).startswith("OK: audit log intact: 2 records, 2 of 2 signed")

    with sqlite3.connect(site.state / "ledger.sqlite3") as database:
        database.execute("DROP TRIGGER IF EXISTS audit_no_update")
        (event,) = database.execute("SELECT event FROM audit WHERE seq = 2").fetchone()
        database.execute(
            "UPDATE audit SET event = ? WHERE seq = 2",
            (event.replace('"kind":"deny"', '"kind":"admit"'),),
        )
    tampered = cli("audit", "verify", "--state-dir", site.state)
    assert tampered.code == 1
    assert "problem: record 2: hash does not match its content (edited?)" in tampered.stdout


def test_audit_export_csv_has_what_an_auditor_asks_for(cli: CliRunner, site: Site) -> None:
    assert cli(*site.admit_args("plc-firmware-4.2.1.bin", L3)).code == 0
    exported = cli("audit", "export", "--state-dir", site.state, "--format", "csv",
                   "--since", "2020-01-01")  # fmt: skip
    assert exported.code == 0
    (row,) = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert row["decision"] == "allow"
    assert (
        row["artifact_sha256"]
        == hashlib.sha256((site.delivery / "plc-firmware-4.2.1.bin").read_bytes()).hexdigest()
    )
    assert row["signer"].startswith(f"identity {VENDOR_WORKFLOW}@refs/tags/v4.2.1")
    assert "transparency log entry 5" in row["verification"]
    assert row["policy_path"] == str(site.policy.resolve())
    bad = cli("audit", "export", "--state-dir", site.state, "--since", "last tuesday")
    assert bad.code == 2
    assert "expected a date (YYYY-MM-DD) or an RFC 3339 time" in bad.stderr


def test_unrecognised_evidence_is_listed_not_fatal(cli: CliRunner, site: Site) -> None:
    junk = site.delivery / "plc-firmware-4.2.1.bin.approval-junk.json"
    junk.write_text("not json")
    result = cli(*site.admit_args("plc-firmware-4.2.1.bin", L1))
    assert result.code == 0, result.stderr
    assert f"ignored   {junk}: not recognised as evidence" in result.stdout


# -- faults: each a clear message and the right exit code; the ledger stays consistent -------


def test_no_site_key(cli: CliRunner, site: Site) -> None:
    (site.state / "site.key").unlink()
    result = cli(*site.admit_args("plc-firmware-4.2.1.bin", L3))
    assert result.code == 2
    assert verdict(result) == (
        f"error: {site.state / 'site.key'}: no site key: create one with `provenance keys "
        f"generate {site.state / 'site.key'}` (the VSAs and the audit log are signed with it)"
    )


def test_state_dir_not_usable(cli: CliRunner, site: Site, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = cli(*site.admit_args("plc-firmware-4.2.1.bin", L3)[:-1], blocker / "state")
    assert result.code == 2
    assert verdict(result).startswith("error: ")
    assert "state" in verdict(result)


def test_corrupted_ledger_is_refused_and_left_alone(cli: CliRunner, site: Site) -> None:
    assert cli(*site.admit_args("plc-firmware-4.2.1.bin", L3)).code == 0
    ledger = site.state / "ledger.sqlite3"
    for suffix in ("-wal", "-shm"):
        ledger.with_name(ledger.name + suffix).unlink(missing_ok=True)
    ledger.write_bytes(b"this is not a database" * 100)
    before = ledger.read_bytes()
    result = cli(*site.admit_args("plc-firmware-4.2.1.bin", L3))
    assert result.code == 2
    assert verdict(result).startswith(f"error: ledger {ledger}: is not a SQLite database")
    assert ledger.read_bytes() == before


def test_locked_ledger_is_a_clear_error(site: Site) -> None:
    admit(site.delivery / "plc-firmware-4.2.1.bin", policy_path=site.policy, segment=L3,
          state_dir=site.state)  # fmt: skip
    holder = sqlite3.connect(site.state / "ledger.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(LedgerError, match="locked by another process"):
            admit(site.delivery / "plc-firmware-4.2.1.bin", policy_path=site.policy,
                  segment=L3, state_dir=site.state, busy_timeout=0.2)  # fmt: skip
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert list((site.state / "tmp").iterdir()) == [], "the staged copy was not discarded"


def test_the_verified_bytes_are_the_admitted_bytes(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Swapping the file after it was copied changes nothing: the copy is what is verified."""
    artifact = site.delivery / "plc-firmware-4.2.1.bin"
    original = artifact.read_bytes()
    stage_copy = ContentStore.stage_copy

    def stage_then_swap(store: ContentStore, source: Path):  # type: ignore[no-untyped-def]
        staged = stage_copy(store, source)
        source.write_bytes(b"MALICIOUS FIRMWARE")
        return staged

    monkeypatch.setattr(ContentStore, "stage_copy", stage_then_swap)
    result = admit(artifact, policy_path=site.policy, segment=L3, state_dir=site.state)
    assert result.allowed
    assert result.admission is not None
    assert (site.state / result.admission.store_path).read_bytes() == original
    assert result.sha256 == hashlib.sha256(original).hexdigest()


def test_unknown_segment_changes_nothing(site: Site) -> None:
    with pytest.raises(UsageError, match="unknown segment 'level0'"):
        admit(site.delivery / "plc-firmware-4.2.1.bin", policy_path=site.policy,
              segment="level0", state_dir=site.state)  # fmt: skip
    assert not (site.state / "ledger.sqlite3").exists()


def test_two_admits_at_once(site: Site) -> None:
    # Different segments, so neither decision depends on which commits first (rollback).
    commands = [
        [sys.executable, "-m", "provenance", *map(str, site.admit_args(name, segment))]
        for name, segment in (("plc-firmware-4.2.1.bin", L3), ("plc-firmware-4.2.1.bin", L1))
    ]
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for c in commands]  # fmt: skip
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    verify = subprocess.run(
        [sys.executable, "-m", "provenance", "audit", "verify", "--state-dir", str(site.state)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "2 records, 2 of 2 signed (signatures verified)" in verify.stderr


def test_check_loads_no_sigstore_in_toto_or_sbom_library(cli: CliRunner, site: Site) -> None:
    report = json.loads(
        cli(*site.admit_args("plc-firmware-4.2.1.bin", L1, "--format", "json")).stdout
    )
    artifact = str(site.delivery / "plc-firmware-4.2.1.bin")
    for how in (
        ["--state-dir", str(site.state)],
        ["--vsa", report["admission"]["vsa_path"], "--site-key", str(site.state / "site.key.pub")],
    ):
        probe = (
            "import sys, json\n"
            "from provenance._cli import main\n"
            "try:\n"
            f"    main(['check', {artifact!r}, '--segment', {L1!r}, *{how!r}])\n"
            "except SystemExit as exit:\n"
            "    code = exit.code\n"
            "print(json.dumps([code, sorted(sys.modules)]))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        code, modules = json.loads(done.stdout.splitlines()[-1])
        assert code == 0, done.stderr
        heavy = [m for m in modules if m.split(".")[0] in HEAVY]
        assert heavy == [], how


def test_concurrent_admits_never_roll_back(site: Site) -> None:
    """The rollback rule reads the ledger under the write lock: whichever admit commits first,
    the admitted versions never go down."""
    sign_release(site, "4.3.0")
    commands = [
        [sys.executable, "-m", "provenance", *map(str, site.admit_args(name, L3))]
        for name in ("plc-firmware-4.3.0.bin", "plc-firmware-4.2.1.bin")
    ]
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for c in commands]  # fmt: skip
    for process in processes:
        process.communicate(timeout=120)
    with sqlite3.connect(site.state / "ledger.sqlite3") as database:
        versions = [
            row[0] for row in database.execute("SELECT version FROM admissions ORDER BY id")
        ]
    assert versions in (["4.3.0"], ["4.2.1", "4.3.0"]), versions


def _tamper(site: Site, *statements: str) -> None:
    with sqlite3.connect(site.state / "ledger.sqlite3") as database:
        for trigger in ("audit_no_update", "audit_no_delete"):
            database.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            database.execute(statement)


def _three_records(cli: CliRunner, site: Site) -> None:
    assert cli(*site.admit_args("plc-firmware-3.9.0.bin", L3)).code == 1
    assert cli(*site.admit_args("plc-firmware-4.2.1.bin", L3)).code == 0
    assert cli(*site.admit_args("plc-firmware-3.9.0.bin", L3)).code == 1


def test_audit_verify_names_a_removed_record(cli: CliRunner, site: Site) -> None:
    _three_records(cli, site)
    _tamper(site, "DELETE FROM audit WHERE seq = 2")
    result = cli("audit", "verify", "--state-dir", site.state)
    assert result.code == 1
    assert "problem: record 3: follows record 1; record 2 is missing" in result.stdout


def test_audit_verify_names_reordered_records(cli: CliRunner, site: Site) -> None:
    _three_records(cli, site)
    _tamper(
        site,
        "UPDATE audit SET seq = -1 WHERE seq = 1",
        "UPDATE audit SET seq = 1 WHERE seq = 3",
        "UPDATE audit SET seq = 3 WHERE seq = -1",
    )
    result = cli("audit", "verify", "--state-dir", site.state)
    assert result.code == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("problem:")]
    assert any(p.startswith("problem: record 1: ") and "reordered" in p for p in problems), problems
    assert any(p.startswith("problem: record 3: ") for p in problems), problems
