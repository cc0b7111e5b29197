"""An insider with write access to the state directory, against checkpoints and VSAs kept
elsewhere: through the CLI, `audit verify --witness` names what was cut off or rewritten.

One history is made once per module with real admissions (records 1 and 4 admit, 2 and 3 deny),
keeping a checkpoint after each record and the VSAs of the two admissions, as a second host or
a workstation would; each test edits its own copy of the state directory.
"""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from provenance.commands.admit import admit
from provenance.commands.audit import audit_checkpoint
from provenance.transparency.merkle import stored_node_count
from tests import merkle_reference as reference
from tests.conftest import CliResult, CliRunner
from tests.gate_helpers import L3, Site, make_site, sign_release
from tests.record_helpers.support import tamper

ADMITS = ("plc-firmware-4.2.1.bin", "plc-firmware-3.9.0.bin", "plc-firmware-3.9.0.bin",
          "plc-firmware-4.3.0.bin")  # fmt: skip


@dataclass(frozen=True)
class History:
    site: Site
    witnesses: Path  # cp-1.txt .. cp-4.txt, vsa-1.json, vsa-4.json
    digests: dict[int, str]  # record number -> artifact digest, for the admissions


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    site = make_site(tmp_path_factory.mktemp("history"))
    sign_release(site, "4.3.0")
    witnesses = site.state.parent / "kept-elsewhere"
    witnesses.mkdir()
    digests = {}
    for number, name in enumerate(ADMITS, start=1):
        result = admit(
            site.delivery / name, policy_path=site.policy, segment=L3, state_dir=site.state
        )
        assert result.audit.seq == number
        if result.admission is not None:
            assert result.admission.vsa_path is not None
            shutil.copy(site.state / result.admission.vsa_path, witnesses / f"vsa-{number}.json")
            digests[number] = result.sha256
        note = audit_checkpoint(state_dir=site.state).note
        assert note is not None
        (witnesses / f"cp-{number}.txt").write_text(note)
    assert sorted(digests) == [1, 4]
    return History(site, witnesses, digests)


@pytest.fixture
def copy(history: History, tmp_path: Path) -> History:
    root = tmp_path / "site"
    shutil.copytree(history.site.state.parent, root)
    site = Site(root / "delivery", root / "state", root / "delivery" / "policy.yaml")
    return History(site, root / "kept-elsewhere", history.digests)


def verify(cli: CliRunner, history: History, *witnesses: str) -> CliResult:
    arguments: list[str | Path] = ["audit", "verify", "--state-dir", history.site.state]
    for name in witnesses:
        arguments += ["--witness", history.witnesses / name]
    result = cli(*arguments)
    assert "Traceback" not in result.stderr
    return result


def problems(result: CliResult) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("problem: ")]


def cut_log(state: Path, keep: int) -> None:
    """What an insider does to hide the newest decisions: remove the records after `keep`
    with their checkpoints, tree nodes and admission rows (triggers dropped first)."""
    tamper(
        state / "ledger.sqlite3",
        ("DELETE FROM admissions WHERE audit_seq > ?", (keep,)),
        ("DELETE FROM audit WHERE seq > ?", (keep,)),
        ("DELETE FROM checkpoints WHERE size > ?", (keep,)),
        ("DELETE FROM merkle_nodes WHERE position >= ?", (stored_node_count(keep),)),
    )


# -- an intact log ---------------------------------------------------------------------------


def test_an_intact_log_extends_every_witness(cli: CliRunner, copy: History) -> None:
    result = verify(cli, copy, "cp-2.txt", "cp-4.txt", "vsa-1.json", "vsa-4.json")
    assert result.code == 0, result.stdout
    assert problems(result) == []
    lines = result.stdout.splitlines()
    kept = copy.witnesses
    assert f"witness {kept / 'cp-2.txt'}: the log at 4 records extends its checkpoint at 2 " \
        "(consistency proof of 1 hash(es) verified)" in lines  # fmt: skip
    assert f"witness {kept / 'vsa-1.json'}: record 1 unchanged; the log at 4 records extends " \
        "its checkpoint at 1 (consistency proof of 2 hash(es) verified)" in lines  # fmt: skip
    assert "note: no witness" not in result.stdout
    assert result.stderr.startswith("OK: audit log intact: 4 records, 4 of 4 signed")
    assert "Merkle tree of 4 records matches its newest signed checkpoint" in result.stderr


def test_without_a_witness_the_output_says_truncation_cannot_be_ruled_out(
    cli: CliRunner, copy: History
) -> None:
    result = verify(cli, copy)
    assert result.code == 0
    assert (
        "note: no witness given, so removal of the newest records (with their checkpoints) "
        "cannot be ruled out: keep `provenance audit checkpoint --output FILE` (or the VSAs) on "
        "another host and pass them with --witness"
    ) in result.stdout


# -- cutting records off -------------------------------------------------------------------


def test_deleting_the_last_record_is_invisible_alone_and_caught_by_a_witness(
    cli: CliRunner, copy: History
) -> None:
    cut_log(copy.site.state, keep=3)
    alone = verify(cli, copy)
    assert alone.code == 0, "the file alone cannot tell: this is what witnesses are for"
    assert "cannot be ruled out" in alone.stdout
    by_checkpoint = verify(cli, copy, "cp-4.txt")
    assert by_checkpoint.code == 1
    assert problems(by_checkpoint) == [
        f"problem: witness {copy.witnesses / 'cp-4.txt'}: it saw 4 records, the log holds 3: "
        "record 4 is missing (removed)"
    ]
    by_vsa = verify(cli, copy, "vsa-4.json")
    assert by_vsa.code == 1
    assert problems(by_vsa) == [
        f"problem: witness {copy.witnesses / 'vsa-4.json'}: it saw 4 records, the log holds 3: "
        "record 4 is missing (removed)",
        f"problem: witness {copy.witnesses / 'vsa-4.json'}: record 4 (admission of "
        f"{copy.digests[4]} to level3-operations) is missing: the log holds 3 records",
    ]
    assert by_vsa.stderr.startswith("FAIL: 2 problem(s): 3 records, 3 of 3 signed")
    # Witnesses of what is still there hold.
    assert verify(cli, copy, "cp-3.txt", "vsa-1.json").code == 0


def test_deleting_the_last_records_names_them(cli: CliRunner, copy: History) -> None:
    cut_log(copy.site.state, keep=1)
    result = verify(cli, copy, "cp-3.txt", "cp-1.txt")
    assert result.code == 1
    assert problems(result) == [
        f"problem: witness {copy.witnesses / 'cp-3.txt'}: it saw 3 records, the log holds 1: "
        "records 2-3 are missing (removed)"
    ]


def test_deleting_everything_is_caught_by_an_earlier_vsa(cli: CliRunner, copy: History) -> None:
    cut_log(copy.site.state, keep=0)
    alone = verify(cli, copy)
    assert alone.code == 0
    assert alone.stderr.startswith("OK: audit log is empty")
    result = verify(cli, copy, "vsa-1.json")
    assert result.code == 1
    assert problems(result) == [
        f"problem: witness {copy.witnesses / 'vsa-1.json'}: it saw 1 record, the log holds 0: "
        "record 1 is missing (removed)",
        f"problem: witness {copy.witnesses / 'vsa-1.json'}: record 1 (admission of "
        f"{copy.digests[1]} to level3-operations) is missing: the log holds 0 records",
    ]


def test_a_rewritten_history_is_not_a_consistent_extension(cli: CliRunner, copy: History) -> None:
    """Cut the two denials, then let the gate carry on: it signs checkpoints again, for a log
    whose records 2 and 3 are different ones. The old checkpoints disagree."""
    cut_log(copy.site.state, keep=1)
    for name in ("plc-firmware-4.3.0.bin", "plc-firmware-4.2.1.bin"):
        admit(copy.site.delivery / name, policy_path=copy.site.policy, segment=L3,
              state_dir=copy.site.state)  # fmt: skip
    assert verify(cli, copy).code == 0, "signed afresh, the new log is intact on its own"
    result = verify(cli, copy, "cp-3.txt", "cp-1.txt")
    assert result.code == 1
    assert problems(result) == [
        f"problem: witness {copy.witnesses / 'cp-3.txt'}: the log's first 3 records do not have "
        "the root this checkpoint signed: records up to 3 were changed since (the log was "
        "rewritten)"
    ]
    replaced = verify(cli, copy, "vsa-4.json")
    assert replaced.code == 1
    assert f"witness {copy.witnesses / 'vsa-4.json'}: it saw 4 records, the log holds 3" in (
        replaced.stdout
    )


# -- witnesses that are not this log's, or not genuine ------------------------------------


def test_a_witness_from_another_log_or_altered_is_refused(
    cli: CliRunner, copy: History, tmp_path: Path
) -> None:
    original = (copy.witnesses / "cp-2.txt").read_text()
    origin = original.split("\n", 1)[0]
    renamed = copy.witnesses / "renamed.txt"
    renamed.write_text(original.replace(origin, "ot-provenance/audit/" + "0" * 32))
    grown = copy.witnesses / "grown.txt"
    grown.write_text(original.replace(f"{origin}\n2\n", f"{origin}\n9\n"))
    result = verify(cli, copy, "renamed.txt", "grown.txt")
    assert result.code == 1
    found = problems(result)
    assert found[0].startswith(
        f"problem: witness {renamed}: does not verify: checkpoint of ot-provenance/audit/000"
    )
    assert "expected a signature by the site key" in found[0]
    assert found[1] == (
        f"problem: witness {grown}: does not verify: checkpoint of {origin} at size 9: the "
        "signature by key " + found[1].split("the signature by key ")[1]
    )
    assert found[1].endswith("does not verify (the checkpoint was altered)")
    junk = tmp_path / "notes.txt"
    junk.write_text("remember the milk\n")
    result = cli("audit", "verify", "--state-dir", copy.site.state, "--witness", junk)
    assert result.code == 1
    assert problems(result) == [
        f"problem: witness {junk}: does not verify: checkpoint is not a signed note: expected "
        "text, one blank line, signature lines"
    ]


def test_a_vsa_witness_whose_record_was_edited_is_named(cli: CliRunner, copy: History) -> None:
    state = copy.site.state / "ledger.sqlite3"
    tamper(state, "UPDATE audit SET event = replace(event, 'level3-operations', 'level2-x') "
                  "WHERE seq = 1")  # fmt: skip
    result = verify(cli, copy, "vsa-1.json")
    assert result.code == 1
    assert (
        f"problem: witness {copy.witnesses / 'vsa-1.json'}: record 1 is not the record it holds "
        f"(admission of {copy.digests[1]} to level3-operations): edited or replaced"
    ) in problems(result)
    assert "problem: record 1: hash does not match its content (edited?)" in problems(result)


def test_witness_and_key_files_must_be_regular_files(cli: CliRunner, copy: History) -> None:
    result = cli("audit", "verify", "--state-dir", copy.site.state, "--witness", copy.witnesses)
    assert result.code == 2
    assert result.stderr.startswith("error: Invalid value for '--witness': ")
    assert f"{copy.witnesses}: is a directory; expected a witness" in result.stderr
    (copy.site.state / "site.key.pub").unlink()
    result = cli("audit", "verify", "--state-dir", copy.site.state)
    assert result.code == 2
    assert result.stderr == (
        "error: audit verify checks signed records: expected the site's public key: give "
        f"--site-key PUB (no site.key.pub in the state directory {copy.site.state})\n"
    )


# -- audit checkpoint --------------------------------------------------------------------------


def test_audit_checkpoint_writes_a_new_file_only(cli: CliRunner, copy: History) -> None:
    target = copy.witnesses / "cp-4.txt"
    before = target.read_bytes()
    refused = cli("audit", "checkpoint", "--state-dir", copy.site.state, "--output", target)
    assert refused.code == 2
    assert "already exists; refusing to overwrite it with the checkpoint" in refused.stderr
    assert target.read_bytes() == before
    fresh = copy.witnesses / "fresh.txt"
    written = cli("audit", "checkpoint", "--state-dir", copy.site.state, "--output", fresh)
    assert written.code == 0
    assert written.stderr == f"OK: checkpoint of 4 records written to {fresh}\n"
    assert fresh.read_bytes() == before  # nothing was appended since
    printed = cli("audit", "checkpoint", "--state-dir", copy.site.state)
    assert printed.stdout == before.decode()


def test_audit_checkpoint_refuses_a_checkpoint_that_does_not_fit_the_log(
    cli: CliRunner, copy: History
) -> None:
    tamper(copy.site.state / "ledger.sqlite3", "DELETE FROM checkpoints WHERE size = 4")
    result = cli("audit", "checkpoint", "--state-dir", copy.site.state)
    assert result.code == 1
    assert result.stderr == (
        "FAIL: checkpoint: the newest checkpoint is for 3 records, the log holds 4; run "
        "`provenance audit verify`\n"
    )


# -- export --------------------------------------------------------------------------------


def test_export_carries_each_records_checkpoint(cli: CliRunner, copy: History) -> None:
    document = json.loads(cli("audit", "export", "--state-dir", copy.site.state).stdout)
    notes = [record["checkpoint"] for record in document["records"]]
    assert notes == [(copy.witnesses / f"cp-{n}.txt").read_text() for n in range(1, 5)]
    assert document["latest_checkpoint"] == notes[-1]
    assert document["origin"] == notes[0].split("\n", 1)[0]
    # What an auditor can do with the export and the site's public key alone, with no code
    # of ours: recompute every root from the record hashes, and check every signature.
    public = serialization.load_pem_public_key((copy.site.state / "site.key.pub").read_bytes())
    assert isinstance(public, ed25519.Ed25519PublicKey)
    leaves = [bytes.fromhex(record["hash"]) for record in document["records"]]
    for size, note in enumerate(notes, start=1):
        body, signature_line = note.split("\n\n")
        origin, tree_size, root = body.split("\n")
        assert (origin, int(tree_size)) == (document["origin"], size)
        assert base64.b64decode(root) == reference.mth(leaves[:size])
        signature = base64.b64decode(signature_line.split(" ")[2])[4:]
        public.verify(signature, (body + "\n").encode())  # raises if it does not verify
