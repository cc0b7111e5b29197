"""Transfer kits: a central gate exports, an air-gapped site imports, `check` answers there;
a kit altered on its media, replayed, older or of a forked log is refused with the reason."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from provenance.commands.admit import admit
from provenance.signing.keys import generate_key
from tests.conftest import CliResult, CliRunner
from tests.gate_helpers import L3, Site, make_site, sign_release

FIRMWARE = "plc-firmware-4.2.1.bin"


@dataclass(frozen=True)
class Central:
    site: Site
    kit: Path  # kit 1: the firmware admitted, 3.9.0 denied (2 records)

    @property
    def public(self) -> Path:
        return self.site.state / "site.key.pub"

    def admit(self, artifact: Path) -> None:
        result = admit(artifact, policy_path=self.site.policy, segment=L3,
                       state_dir=self.site.state)  # fmt: skip
        assert result.allowed, result.decision.reason


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Central:
    site = make_site(tmp_path_factory.mktemp("central"))
    central = Central(site, site.state.parent / "kit1")
    central.admit(site.delivery / FIRMWARE)
    denied = admit(site.delivery / "plc-firmware-3.9.0.bin", policy_path=site.policy,
                   segment=L3, state_dir=site.state)  # fmt: skip
    assert not denied.allowed
    from provenance.commands.kit import kit_export  # noqa: PLC0415

    kit_export(central.kit, segment=L3, state_dir=site.state)
    return central


@pytest.fixture
def central(made: Central, tmp_path: Path) -> Central:
    root = tmp_path / "central"
    shutil.copytree(made.site.state.parent, root)
    site = Site(root / "delivery", root / "state", root / "delivery" / "policy.yaml")
    return Central(site, root / "kit1")


def import_kit(cli: CliRunner, kit: Path, site: Path, *keys: Path) -> CliResult:
    options = [arg for key in keys for arg in ("--site-key", key)]
    result = cli("kit", "import", kit, "--state-dir", site, *options)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result


def check_at(cli: CliRunner, central: Central, site: Path, artifact: str = FIRMWARE) -> CliResult:
    return cli("check", central.site.delivery / artifact, "--segment", L3, "--state-dir", site,
               "--site-key", central.public)  # fmt: skip


def test_a_kit_carries_admissions_to_a_site_where_check_answers_from_them(
    cli: CliRunner, central: Central, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    before = check_at(cli, central, site)
    assert before.code == 2  # no state directory yet
    imported = import_kit(cli, central.kit, site, central.public)
    assert imported.code == 0, imported.stderr
    assert imported.stderr.startswith(
        f"OK: kit {central.kit}: 1 admission(s) to {L3} installed, 2 record(s) added; the log "
        "ot-provenance/audit/"
    )
    checked = check_at(cli, central, site)
    assert checked.code == 0, checked.stderr
    assert "signed record 1, in the log's checkpoint at 2 records" in checked.stderr
    denied = check_at(cli, central, site, "plc-firmware-3.9.0.bin")
    assert denied.code == 1
    verified = cli("audit", "verify", "--state-dir", site, "--site-key", central.public)
    assert verified.code == 0, verified.stdout
    # The VSA in the kit works on a workstation without any ledger.
    vsa = next((central.kit / "vsa").iterdir())
    by_vsa = cli("check", central.site.delivery / FIRMWARE, "--segment", L3, "--vsa", vsa,
                 "--site-key", central.public)  # fmt: skip
    assert by_vsa.code == 0, by_vsa.stderr
    # The site's ledger keeps the central log: it cannot be admitted into.
    refused = cli(*central.site.admit_args(FIRMWARE, L3)[:-1], site,
                  "--site-key", central.site.state / "site.key")  # fmt: skip
    assert refused.code == 2
    assert "holds a central gate's log received in transfer kits" in refused.stderr


def test_an_archive_kit_round_trips(cli: CliRunner, central: Central, tmp_path: Path) -> None:
    archive = tmp_path / "kit.tar"
    exported = cli("kit", "export", archive, "--segment", L3, "--state-dir", central.site.state)
    assert exported.code == 0, exported.stderr
    assert import_kit(cli, archive, tmp_path / "site", central.public).code == 0
    assert check_at(cli, central, tmp_path / "site").code == 0
    again = cli("kit", "export", archive, "--segment", L3, "--state-dir", central.site.state)
    assert again.code == 2
    assert again.stderr == f"error: {archive}: already exists; a kit is written to a new path\n"


def _installed(site: Path) -> tuple[list[Path], int]:
    files = sorted(path for folder in ("store", "vsa") for path in (site / folder).rglob("*"))
    ledger = site / "ledger.sqlite3"
    if not ledger.exists():
        return files, 0
    with sqlite3.connect(ledger) as connection:
        count = connection.execute("SELECT count(*) FROM audit").fetchone()[0]
    return files, int(count)


def _refused(cli: CliRunner, kit: Path, site: Path, key: Path) -> str:
    before = _installed(site)
    result = import_kit(cli, kit, site, key)
    assert result.code == 1, result.stderr
    assert result.stderr.startswith(f"FAIL: kit {kit}: ")
    assert _installed(site) == before, "a refused kit installs nothing"
    return result.stderr


def test_an_altered_artifact_byte_is_refused(
    cli: CliRunner, central: Central, tmp_path: Path
) -> None:
    artifact = next((central.kit / "artifacts").iterdir())
    data = bytearray(artifact.read_bytes())
    data[100] ^= 0x01
    artifact.write_bytes(bytes(data))
    reason = _refused(cli, central.kit, tmp_path / "site", central.public)
    assert f"artifacts/{artifact.name}: SHA-256 " in reason
    assert f"the signed manifest says {artifact.name}" in reason
    assert "altered after export" in reason


def test_an_altered_vsa_or_record_is_refused(
    cli: CliRunner, central: Central, tmp_path: Path
) -> None:
    vsa = next((central.kit / "vsa").iterdir())
    vsa.write_text(vsa.read_text().replace('"payloadType"', '"payloadType" '))
    assert f"vsa/{vsa.name}: SHA-256 " in _refused(cli, central.kit, tmp_path / "a", central.public)
    log = central.kit / "log.jsonl"
    shutil.copy(log, tmp_path / "log")
    log.write_text(log.read_text().replace("level3-operations", "level1-controllers", 1))
    assert "log.jsonl: SHA-256 " in _refused(cli, central.kit, tmp_path / "b", central.public)


def test_an_altered_or_foreign_manifest_is_refused(
    cli: CliRunner, central: Central, tmp_path: Path
) -> None:
    manifest = central.kit / "manifest.dsse.json"
    envelope = json.loads(manifest.read_text())
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["segment"] = "level1-controllers"
    envelope["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    manifest.write_text(json.dumps(envelope))
    reason = _refused(cli, central.kit, tmp_path / "a", central.public)
    assert "manifest.dsse.json: not signed by a trusted site key" in reason
    other = generate_key(tmp_path / "other.key", "ed25519")
    assert other.key_id not in reason
    shutil.rmtree(central.kit)
    cli("kit", "export", central.kit, "--segment", L3, "--state-dir", central.site.state)
    foreign = _refused(cli, central.kit, tmp_path / "b", tmp_path / "other.key.pub")
    assert "not signed by a trusted site key" in foreign
    without = cli("kit", "import", central.kit, "--state-dir", tmp_path / "c")
    assert without.code == 2
    assert "the key inside a kit is never trusted" in without.stderr


def test_a_replayed_or_older_kit_is_refused_and_since_carries_only_the_new(
    cli: CliRunner, central: Central, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    assert import_kit(cli, central.kit, site, central.public).code == 0
    replayed = _refused(cli, central.kit, site, central.public)
    assert "this kit was imported on " in replayed
    assert "already (a replayed kit); nothing changed" in replayed
    # The site's checkpoint goes back to the central gate, which exports what is new since.
    witness = tmp_path / "site-checkpoint.txt"
    kept = cli("audit", "checkpoint", "--state-dir", site, "--site-key", central.public,
               "--output", witness)  # fmt: skip
    assert kept.code == 0, kept.stderr
    newer = sign_release(central.site, "4.2.2")
    central.admit(newer)
    kit2 = tmp_path / "kit2"
    exported = cli("kit", "export", kit2, "--segment", L3, "--state-dir", central.site.state,
                   "--since", witness)  # fmt: skip
    assert exported.code == 0, exported.stderr
    assert "1 admission(s) to level3-operations, 1 artifact(s), records 3-3 of the log" in (
        exported.stderr
    )
    full = tmp_path / "kit-full"
    cli("kit", "export", full, "--segment", L3, "--state-dir", central.site.state)
    assert import_kit(cli, kit2, site, central.public).code == 0
    assert check_at(cli, central, site, "plc-firmware-4.2.2.bin").code == 0
    # A kit exported before the newest import (never imported here) is older: refused.
    other_site = tmp_path / "other-site"
    assert import_kit(cli, full, other_site, central.public).code == 0
    older = _refused(cli, central.kit, other_site, central.public)
    assert "older kit: its checkpoint covers 2 records, this site has imported 3 already" in older
    # A kit starting after what the site holds is refused too.
    gap = _refused(cli, kit2, tmp_path / "new-site", central.public)
    assert "the kit starts after record 2, this site holds 0" in gap


def test_a_kit_of_a_forked_log_is_refused(cli: CliRunner, central: Central, tmp_path: Path) -> None:
    """Someone holding the central key and a copy of its ledger writes another history: the
    site, which imported the first, refuses the second."""
    fork = tmp_path / "fork"
    shutil.copytree(central.site.state.parent, fork)
    forked = Central(Site(fork / "delivery", fork / "state", fork / "delivery" / "policy.yaml"),
                     fork / "kit1")  # fmt: skip
    central.admit(sign_release(central.site, "4.2.2"))
    forked.admit(sign_release(forked.site, "4.2.3"))
    site = tmp_path / "site"
    kit_a, kit_b = tmp_path / "kit-a", tmp_path / "kit-b"
    cli("kit", "export", kit_a, "--segment", L3, "--state-dir", central.site.state)
    cli("kit", "export", kit_b, "--segment", L3, "--state-dir", forked.site.state)
    assert import_kit(cli, kit_a, site, central.public).code == 0
    reason = _refused(cli, kit_b, site, central.public)
    assert "record 3 differs from the record 3 this site imported before: the kit is of a " \
        "forked log" in reason  # fmt: skip


def test_an_insider_at_the_site_cannot_make_check_say_admitted(
    cli: CliRunner, central: Central, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    assert import_kit(cli, central.kit, site, central.public).code == 0
    # Point the admission row at the denied firmware's digest: its signed record disagrees.
    other = central.site.delivery / "plc-firmware-3.9.0.bin"
    import hashlib  # noqa: PLC0415

    digest = hashlib.sha256(other.read_bytes()).hexdigest()
    connection = sqlite3.connect(site / "ledger.sqlite3", isolation_level=None)
    connection.execute("DROP TRIGGER admissions_no_update")
    connection.execute("UPDATE admissions SET artifact_sha256 = ?", (digest,))
    connection.close()
    result = check_at(cli, central, site, "plc-firmware-3.9.0.bin")
    assert result.code == 1
    assert "ledger row does not match its signed record: digest" in result.stderr


def test_a_gates_own_ledger_does_not_take_a_kit(
    cli: CliRunner, central: Central, made: Central
) -> None:
    reason = _refused(cli, made.kit, central.site.state, central.public)
    assert "this state directory's ledger holds its own audit log (2 records)" in reason
