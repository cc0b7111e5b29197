"""Site keys, staff approvals and the site's VSAs: made here, verified as evidence."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provenance.commands.approve import approve
from provenance.errors import EvidenceError, VerificationFailure
from provenance.signing.dsse import sign_statement
from provenance.signing.keys import generate_key, load_signing_key
from provenance.signing.statements import vsa_statement
from provenance.verification.signers import PublicKeySigner, load_public_key
from provenance.verification.site_statements import verify_approval, verify_vsa
from tests.conftest import CliRunner

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "plc-firmware-4.2.1.bin"
    path.write_bytes(b"firmware image")
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("key_type", ["ed25519", "p256"])
def test_keys_generate_writes_a_private_key_only_it_can_read(
    cli: CliRunner, tmp_path: Path, key_type: str
) -> None:
    path = tmp_path / "site.key"
    result = cli("keys", "generate", path, "--type", key_type)
    assert result.code == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    public = load_public_key(tmp_path / "site.key.pub")
    assert f"public key {public.key_id}" in result.stderr
    assert load_signing_key(path).key_id == public.key_id

    before = path.read_bytes()
    again = cli("keys", "generate", path)
    assert again.code == 2
    assert again.stderr == (
        f"error: {path}: already exists; refusing to overwrite a key (use --force to replace it)\n"
    )
    assert path.read_bytes() == before
    assert cli("keys", "generate", path, "--force").code == 0
    assert path.read_bytes() != before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_keys_generate_makes_a_missing_folder_private(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "keys" / "site" / "site.key"
    result = cli("keys", "generate", path)
    assert result.code == 0, result.stderr
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (tmp_path / "plain").write_text("not a folder")
    refused = cli("keys", "generate", tmp_path / "plain" / "site.key")
    assert refused.code == 2
    assert refused.stderr == (
        f"error: {tmp_path / 'plain'}: not a folder; expected one to hold the key\n"
    )


def member_keys(tmp_path: Path, *names: str) -> dict[str, PublicKeySigner]:
    members = {}
    for name in names:
        generate_key(tmp_path / f"{name}.key", "ed25519")
        members[name] = load_public_key(tmp_path / f"{name}.key.pub")
    return members


def test_approve_and_verify(cli: CliRunner, tmp_path: Path, artifact: Path) -> None:
    members = member_keys(tmp_path, "alice", "bob")
    result = cli(
        "approve", artifact, "--key", tmp_path / "alice.key", "--group", "ot-security",
        "--segment", "level1-controllers", "--comment", "CHG-1042 tested on the bench",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    written = next(tmp_path.glob("plc-firmware-4.2.1.bin.approval-*.json"))
    assert f"written to {written}" in result.stderr

    facts = verify_approval(
        written.read_bytes(),
        str(written),
        artifact_sha256=digest(artifact),
        group_members={"ot-security": members},
    )
    assert [(f.member, f.group, f.segment, f.comment) for f in facts] == [
        ("alice", "ot-security", "level1-controllers", "CHG-1042 tested on the bench")
    ]

    again = cli(
        "approve", artifact, "--key", tmp_path / "alice.key", "--group", "ot-security",
        "--segment", "level1-controllers", "--comment", "again",
    )  # fmt: skip
    assert again.code == 2
    assert "already exists; not overwriting (use --force)" in again.stderr


def test_an_approval_counts_only_for_its_group_and_digest(tmp_path: Path, artifact: Path) -> None:
    members = member_keys(tmp_path, "alice", "mallory")
    envelope = tmp_path / "approval.json"
    approve(
        str(artifact), key=tmp_path / "mallory.key", group="ot-security", segment="level1",
        comment="looks fine", out=envelope,
    )  # fmt: skip
    data = envelope.read_bytes()
    with pytest.raises(VerificationFailure) as outsider:
        verify_approval(
            data,
            "approval.json",
            artifact_sha256=digest(artifact),
            group_members={"ot-security": {"alice": members["alice"]}},
        )
    assert str(outsider.value) == (
        "approval.json: expected a signature by a member of a site group (ot-security), got "
        "none that verifies"
    )
    with pytest.raises(VerificationFailure, match="got one by a member of another group"):
        verify_approval(
            data,
            "a",
            artifact_sha256=digest(artifact),
            group_members={
                "ot-security": {"alice": members["alice"]},
                "it-helpdesk": {"mallory": members["mallory"]},
            },
        )
    with pytest.raises(VerificationFailure, match="which the policy does not define"):
        verify_approval(
            data, "a", artifact_sha256=digest(artifact),
            group_members={"it-helpdesk": {"mallory": members["mallory"]}},
        )  # fmt: skip
    with pytest.raises(VerificationFailure, match="expected a statement about sha256:00"):
        verify_approval(
            data, "a", artifact_sha256="00" * 32, group_members={"ot-security": members}
        )

    # The group inside the signed statement decides; editing it breaks the signature.
    document = json.loads(data)
    statement = json.loads(base64.b64decode(document["payload"]))
    statement["predicate"]["group"] = "it-helpdesk"
    document["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    with pytest.raises(VerificationFailure, match="got none that verifies"):
        verify_approval(
            json.dumps(document).encode(),
            "a",
            artifact_sha256=digest(artifact),
            group_members={"it-helpdesk": members},
        )


def test_vsa_round_trip(tmp_path: Path, artifact: Path) -> None:
    site = generate_key(tmp_path / "site.key", "p256")
    site_public = load_public_key(tmp_path / "site.key.pub")
    statement = vsa_statement(
        artifact_name=artifact.name,
        artifact_sha256=digest(artifact),
        resource_uri="pkg:generic/acme/plc-firmware@4.2.1",
        segment="level1-controllers",
        policy_uri="file:site.yaml",
        policy_sha256="cd" * 32,
        verified_at=NOW,
        inputs=[("plc-firmware-4.2.1.bin.sigstore.json", "ef" * 32)],
    )
    data = json.dumps(sign_statement(statement, site)).encode()
    verified = verify_vsa(
        data,
        "vsa.json",
        artifact_sha256=digest(artifact),
        segment="level1-controllers",
        site_keys=[site_public],
    )
    assert verified.verified_at == NOW
    assert verified.policy_sha256 == "cd" * 32

    with pytest.raises(VerificationFailure, match="expected a VSA admitting to segment level3"):
        verify_vsa(
            data, "vsa.json", artifact_sha256=digest(artifact), segment="level3",
            site_keys=[site_public],
        )  # fmt: skip
    other = generate_key(tmp_path / "other.key", "ed25519")
    with pytest.raises(VerificationFailure, match="expected a signature by the site key"):
        verify_vsa(
            json.dumps(sign_statement(statement, other)).encode(), "vsa.json",
            artifact_sha256=digest(artifact), segment="level1-controllers",
            site_keys=[site_public],
        )  # fmt: skip
    statement["predicate"]["verificationResult"] = "FAILED"
    with pytest.raises(VerificationFailure, match="expected verificationResult PASSED"):
        verify_vsa(
            json.dumps(sign_statement(statement, site)).encode(), "vsa.json",
            artifact_sha256=digest(artifact), segment="level1-controllers",
            site_keys=[site_public],
        )  # fmt: skip
    with pytest.raises(EvidenceError, match="not JSON"):
        verify_vsa(
            b"{", "vsa.json", artifact_sha256=digest(artifact), segment="x",
            site_keys=[site_public],
        )  # fmt: skip
