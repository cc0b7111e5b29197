"""Advisory data with provenance (issue 19): CSAF documents verified by their `.asc` under the
publisher key the policy pins, else their `.sha512`, else refused unless `--allow-unsigned`;
`vulndb status` says how each source was verified, and decisions name the snapshot.

CISA's own OpenPGP key is not in ../shared/vulndata (its README says so), so the documents
are real CISA advisories re-signed here with a publisher key generated in the test; the real
`.asc` files are checked to name CISA's key (and to fail as "not pinned" under the generated
one). Where CISA's key is placed beside the data as `csaf/cisa-csaf-key.asc`, the
real signatures are verified with it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pysequoia
import pytest

from fixtures.generate import INSTALLER
from provenance.commands.vulndb import vulndb_import, vulndb_status
from provenance.record import Ledger
from provenance.testing.openpgp import OpenPgpTestKey, derive_openpgp_key
from provenance.vulnerabilities.database import open_database
from tests.adversarial_support import fixture_delivery
from tests.conftest import CliRunner, vulndata
from tests.test_vulnerabilities_gate import decide, rule

CISA = "https://www.cisa.gov"
CISA_FINGERPRINT = "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17"
SIGNED_AT = datetime(2025, 6, 1, tzinfo=UTC)
SICAM = "2022/icsa-22-195-14.json"
HIOS = "2020/icsa-20-091-01.json"

POLICY = """\
version: 1
trust:
  advisories:
    - publisher: {publisher}
      openpgp: publisher.asc
{extra}vendors:
  acme:
    signers:
      - sigstore: {{identity: "a@acme.example", issuer: "https://issuer.example"}}
    products: [pkg:generic/acme/fw]
"""


@pytest.fixture(scope="module")
def publisher_key() -> OpenPgpTestKey:
    return derive_openpgp_key(
        "issue 19: CSAF publisher",
        user_id="CSAF test publisher <csaf@publisher.example>",
        created=datetime(2025, 1, 1, tzinfo=UTC),
    )


def _policy(folder: Path, key: OpenPgpTestKey, publisher: str = CISA, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "publisher.asc").write_bytes(key.armored_certificate())
    path = folder / "policy.yaml"
    path.write_text(POLICY.format(publisher=publisher, extra=extra))
    return path


def _advisory(folder: Path, name: str, key: OpenPgpTestKey | None) -> Path:
    """A real CISA advisory copied with its .sha512, signed by `key` (None: no .asc)."""
    source = vulndata("csaf/cisa-ot") / name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copyfile(source, target)
    shutil.copyfile(f"{source}.sha512", f"{target}.sha512")
    if key is not None:
        Path(f"{target}.asc").write_bytes(key.sign(target.read_bytes(), signed_at=SIGNED_AT))
    return target


def test_a_document_signed_by_the_pinned_publisher_key_imports_as_signed(
    cli: CliRunner, tmp_path: Path, publisher_key: OpenPgpTestKey
) -> None:
    policy = _policy(tmp_path / "site", publisher_key)
    _advisory(tmp_path / "media", SICAM, publisher_key)
    state = tmp_path / "state"
    result = cli("vulndb", "import", tmp_path / "media", "--policy", policy, "--state-dir", state)
    assert result.code == 0, result.stderr
    assert result.stderr == "OK: vulndb import: 1 added, 0 updated\n"
    assert (
        f"  verified: 1 CSAF signed by a pinned publisher key (0x{publisher_key.fingerprint})"
        in result.stdout
    )
    status = cli("vulndb", "status", "--state-dir", state)
    assert status.code == 0
    assert (
        f"    verified: 1 CSAF signed by a pinned publisher key (0x{publisher_key.fingerprint})"
        in status.stdout
    )
    assert "\nsnapshot: sha256:" in status.stdout


def test_a_tampered_document_with_its_original_signature_is_refused(
    cli: CliRunner, tmp_path: Path, publisher_key: OpenPgpTestKey
) -> None:
    policy = _policy(tmp_path / "site", publisher_key)
    document = _advisory(tmp_path / "media", SICAM, publisher_key)
    # The attacker lowers the affected range and recomputes the .sha512; the .asc stays.
    text = document.read_text().replace("< CPC80 V16.30", "< CPC80 V01.00")
    document.write_text(text)
    Path(f"{document}.sha512").write_text(hashlib.sha512(text.encode()).hexdigest() + "\n")
    state = tmp_path / "state"
    result = cli("vulndb", "import", document, "--policy", policy, "--state-dir", state)
    assert result.code == 1
    assert f"refused: {document}: signature does not verify: icsa-22-195-14.json.asc: " in (
        result.stdout
    )
    assert "does not match icsa-22-195-14.json" in result.stdout
    assert "Traceback" not in result.stderr
    assert vulndb_status(state_dir=state).status.csaf_documents == 0


def test_a_pinned_publishers_document_without_a_signature_is_refused(
    cli: CliRunner, tmp_path: Path, publisher_key: OpenPgpTestKey
) -> None:
    policy = _policy(tmp_path / "site", publisher_key)
    document = _advisory(tmp_path / "media", SICAM, None)
    result = cli("vulndb", "import", document, "--policy", policy, "--state-dir", tmp_path / "s")
    assert result.code == 1
    assert (
        "expected an OpenPGP signature icsa-22-195-14.json.asc by the key pinned for "
        "publisher https://www.cisa.gov, got none" in result.stdout
    )
    # --allow-unsigned does not lift a pinned publisher's signature requirement.
    again = cli(
        "vulndb", "import", document, "--policy", policy, "--allow-unsigned",
        "--state-dir", tmp_path / "s",
    )  # fmt: skip
    assert again.code == 1


def test_a_document_without_signature_or_hash_is_refused_unless_allowed(
    cli: CliRunner, tmp_path: Path
) -> None:
    document = _advisory(tmp_path / "media", HIOS, None)
    Path(f"{document}.sha512").unlink()
    state = tmp_path / "state"
    refused = cli("vulndb", "import", document, "--state-dir", state)
    assert refused.code == 1
    assert refused.stdout.splitlines()[-1] == (
        f"refused: {document}: expected an OpenPGP signature (.asc) by a publisher key "
        "pinned in the policy (trust.advisories) or a .sha512 beside it, got neither (import "
        "with --allow-unsigned to accept it anyway)"
    )
    allowed = cli("vulndb", "import", document, "--allow-unsigned", "--state-dir", state)
    assert allowed.code == 0, allowed.stdout
    assert "  verified: 1 CSAF unverified (--allow-unsigned)" in allowed.stdout
    assert f"note: {document}: imported unverified: " in allowed.stdout
    status = cli("vulndb", "status", "--state-dir", state, "--format", "json")
    sources = json.loads(status.stdout)["status"]["sources"]
    assert [s["verification"] for s in sources] == [
        {"keys": []},
        {"keys": [], "unverified": 1},
    ]


def test_hash_only_when_no_key_is_pinned_and_the_signature_is_named_unchecked(
    tmp_path: Path,
) -> None:
    # The real CISA files: .json, .json.sha512 and CISA's .json.asc, no key pinned.
    document = vulndata("csaf/cisa-ot") / SICAM
    result = vulndb_import([document], state_dir=tmp_path / "state")
    assert result.ok
    (source,) = result.sources
    assert source.verification == {"hash-only": 1, "keys": []}
    mismatched = _advisory(tmp_path / "media", HIOS, None)
    Path(f"{mismatched}.sha512").write_text("00" * 64 + "\n")
    refused = vulndb_import([mismatched], state_dir=tmp_path / "state")
    assert refused.refused[0].reason.startswith(
        "SHA-512 does not match icsa-20-091-01.json.sha512: expected 0000000000000000..."
    )


def test_real_cisa_signatures_name_cisas_key_and_fail_under_another(
    tmp_path: Path, publisher_key: OpenPgpTestKey
) -> None:
    real = vulndata("csaf/cisa-ot") / SICAM
    signature = pysequoia.Sig.from_bytes(Path(f"{real}.asc").read_bytes())
    assert (signature.issuer_fingerprint or "").upper() == CISA_FINGERPRINT
    policy = _policy(tmp_path / "site", publisher_key)
    result = vulndb_import([real], state_dir=tmp_path / "state", policy_path=policy)
    (refusal,) = result.refused
    assert refusal.reason == (
        f"signature does not verify: icsa-22-195-14.json.asc: signed by key "
        f"0x{CISA_FINGERPRINT} which is not pinned (pinned: 0x{publisher_key.fingerprint})"
    )


def test_real_cisa_signatures_verify_with_cisas_published_key(tmp_path: Path) -> None:
    key = vulndata("csaf/cisa-ot").parent / "cisa-csaf-key.asc"
    if not key.is_file():
        pytest.skip(
            f"CISA's CSAF OpenPGP key (0x{CISA_FINGERPRINT}) is not in the shared vulndata "
            f"({key}); the real signatures are checked to name it, and signing is tested with a "
            "generated publisher key"
        )
    site = tmp_path / "site"
    site.mkdir()
    shutil.copyfile(key, site / "publisher.asc")
    (site / "policy.yaml").write_text(POLICY.format(publisher=CISA, extra=""))
    result = vulndb_import(
        [vulndata("csaf/cisa-ot") / "2022"],
        state_dir=tmp_path / "s",
        policy_path=site / "policy.yaml",
    )
    assert result.ok, result.refused[:3]
    assert result.sources[0].verification["keys"] == [CISA_FINGERPRINT]


def test_a_genuine_document_of_another_advisory_is_filed_as_itself(
    tmp_path: Path, publisher_key: OpenPgpTestKey
) -> None:
    # The attacker copies a genuine signed advisory (and its .asc) under another's name.
    policy = _policy(tmp_path / "site", publisher_key)
    other = _advisory(tmp_path / "genuine", HIOS, publisher_key)
    media = tmp_path / "media"
    media.mkdir()
    for suffix in ("", ".asc", ".sha512"):
        shutil.copyfile(f"{other}{suffix}", media / f"icsa-22-195-14.json{suffix}")
    state = tmp_path / "state"
    assert vulndb_import([media], state_dir=state, policy_path=policy).ok
    with open_database(state, now=datetime.now(UTC)) as db:
        ids = [d["document"]["tracking"]["id"] for d in db.all_csaf()]
    assert ids == ["ICSA-20-091-01"]


def test_provider_metadata_must_list_the_pinned_key(
    cli: CliRunner, tmp_path: Path, publisher_key: OpenPgpTestKey
) -> None:
    metadata = {
        "canonical_url": f"{CISA}/.well-known/csaf/provider-metadata.json",
        "publisher": {"category": "coordinator", "name": "CISA", "namespace": CISA},
        "public_openpgp_keys": [{"fingerprint": CISA_FINGERPRINT, "url": f"{CISA}/key.asc"}],
    }
    site = tmp_path / "site"
    extra = "      provider_metadata: provider-metadata.json\n"
    policy = _policy(site, publisher_key, extra=extra)
    (site / "provider-metadata.json").write_text(json.dumps(metadata))
    document = _advisory(tmp_path / "media", SICAM, publisher_key)
    result = cli("vulndb", "import", document, "--policy", policy, "--state-dir", tmp_path / "s")
    assert result.code == 2
    assert result.stderr.startswith(
        f"error: {policy}:6:26: trust.advisories[0].provider_metadata: "
    )
    assert (
        f"expected the key's fingerprint among provider-metadata.json's public_openpgp_keys "
        f"({CISA_FINGERPRINT}), got {publisher_key.fingerprint}" in result.stderr
    )
    metadata["public_openpgp_keys"] = [{"fingerprint": publisher_key.fingerprint, "url": "x"}]
    (site / "provider-metadata.json").write_text(json.dumps(metadata))
    accepted = cli("vulndb", "import", document, "--policy", policy, "--state-dir", tmp_path / "s")
    assert accepted.code == 0, accepted.stdout + accepted.stderr


def test_the_snapshot_names_the_imported_sources(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = vulndb_import([vulndata("csaf/cisa-ot") / SICAM], state_dir=state)
    snapshot = vulndb_status(state_dir=state).status.snapshot
    assert snapshot is not None
    assert snapshot.startswith("sha256:")
    # The source digest is a sha256sum manifest an auditor can recompute.
    data = (vulndata("csaf/cisa-ot") / SICAM).read_bytes()
    manifest = f"{hashlib.sha256(data).hexdigest()}  icsa-22-195-14.json\n"
    assert first.sources[0].digest == hashlib.sha256(manifest.encode()).hexdigest()
    # Another state directory importing the same files gets the same snapshot.
    vulndb_import([vulndata("csaf/cisa-ot") / SICAM], state_dir=tmp_path / "other")
    assert vulndb_status(state_dir=tmp_path / "other").status.snapshot == snapshot
    vulndb_import([vulndata("csaf/cisa-ot") / HIOS], state_dir=state)
    assert vulndb_status(state_dir=state).status.snapshot not in (None, snapshot)


def test_decisions_and_audit_records_name_the_snapshot(cli: CliRunner, tmp_path: Path) -> None:
    delivery = fixture_delivery(tmp_path)
    state = tmp_path / "state"
    assert vulndb_import([vulndata("csaf/cisa-ot") / SICAM], state_dir=state).ok
    snapshot = vulndb_status(state_dir=state).status.snapshot
    _, report = decide(cli, delivery, state)
    assert rule(report)["evidence"]["database_snapshot"] == snapshot
    assert cli("keys", "generate", state / "site.key").code == 0
    admitted = cli(
        "admit", delivery / INSTALLER, "--policy", delivery / "policy.yaml",
        "--segment", "engineering-workstations", "--state-dir", state,
    )  # fmt: skip
    assert admitted.code == 0, admitted.stderr
    with Ledger.open(state / "ledger.sqlite3", create=False) as ledger:
        (record,) = list(ledger.audit_records())
    assert record.event().details["vulnerability_database"] == {
        "path": str(state / "vulndb.sqlite"),
        "snapshot": snapshot,
    }
