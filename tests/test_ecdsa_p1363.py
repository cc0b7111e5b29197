"""ECDSA signatures in IEEE P1363 raw r||s (as KMS/HSM APIs, WebCrypto and some Go tools emit)
beside DER, on DSSE envelopes signed with vendor, approval and site keys: the encoding is read
from the bytes and named in every message; a genuine signer's signature verifies either way,
and nothing else does (another message, r or s out of range, the wrong length)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from provenance.errors import VerificationFailure
from provenance.evidence.in_toto import IN_TOTO_PAYLOAD_TYPE
from provenance.signing.statements import approval_statement
from provenance.testing import derive_ec_key
from provenance.verification.dsse import pae
from provenance.verification.ecdsa_encodings import read_ecdsa, verify_ecdsa
from provenance.verification.signers import PublicKeySigner, key_id_of
from provenance.verification.site_statements import verify_approval
from tests.conftest import CliRunner

CURVES: dict[str, tuple[ec.EllipticCurve, hashes.HashAlgorithm, int]] = {
    "P-256": (ec.SECP256R1(), hashes.SHA256(), 32),
    "P-384": (ec.SECP384R1(), hashes.SHA384(), 48),
    "P-521": (ec.SECP521R1(), hashes.SHA512(), 66),
}
ORDER_P256 = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
VSA = "https://slsa.dev/verification_summary/v1"


def key_on(curve: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(0x1234567890ABCDEF + len(curve), CURVES[curve][0])


def p1363(der: bytes, size: int) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def sign_der(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    algorithm = CURVES[{256: "P-256", 384: "P-384", 521: "P-521"}[key.curve.key_size]][1]
    return key.sign(data, ec.ECDSA(algorithm, deterministic_signing=True))


# -- the encodings, on each curve ---------------------------------------------------------------


@pytest.mark.parametrize("curve", list(CURVES))
def test_both_encodings_of_a_genuine_signature_verify_and_say_which(curve: str) -> None:
    _, algorithm, size = CURVES[curve]
    key = key_on(curve)
    der = sign_der(key, b"statement")
    raw = p1363(der, size)
    as_der = verify_ecdsa(key.public_key(), der, b"statement", algorithm)
    as_raw = verify_ecdsa(key.public_key(), raw, b"statement", algorithm)
    assert as_der is not None
    assert as_der.valid
    assert as_der.encoding == "DER"
    assert as_raw is not None
    assert as_raw.valid
    assert as_raw.note == f"signature is {2 * size} bytes: IEEE P1363 r||s, verified as such"
    assert read_ecdsa(raw, key.curve) == (
        f"signature is {2 * size} bytes: IEEE P1363 r||s for {curve}"
    )


def test_a_p1363_signature_of_another_message_does_not_verify() -> None:
    key = key_on("P-256")
    raw = p1363(sign_der(key, b"another statement"), 32)
    outcome = verify_ecdsa(key.public_key(), raw, b"statement", hashes.SHA256())
    assert outcome is not None
    assert not outcome.valid
    assert outcome.note == "signature is 64 bytes: IEEE P1363 r||s, does not verify"


def test_high_s_is_the_same_signers_signature_and_verifies() -> None:
    # n - s is ECDSA's other valid s for (r, message, key): not a forgery, and thresholds count
    # keys, not signature entries (see test_one_key_in_two_encodings_is_one_signer).
    key = key_on("P-256")
    r, s = decode_dss_signature(sign_der(key, b"statement"))
    high = r.to_bytes(32, "big") + (ORDER_P256 - s).to_bytes(32, "big")
    outcome = verify_ecdsa(key.public_key(), high, b"statement", hashes.SHA256())
    assert outcome is not None
    assert outcome.valid


@pytest.mark.parametrize(
    ("r", "s"), [(0, 1), (1, 0), (ORDER_P256, 1), (1, ORDER_P256), (2**256 - 1, 2**256 - 1)]
)
def test_r_or_s_out_of_range_is_malformed(r: int, s: int) -> None:
    key = key_on("P-256")
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    outcome = verify_ecdsa(key.public_key(), raw, b"statement", hashes.SHA256())
    assert outcome is not None
    assert not outcome.valid
    assert outcome.note == (
        "signature is 64 bytes: IEEE P1363 r||s for P-256, malformed (r or s is out of range)"
    )


@pytest.mark.parametrize("length", [0, 1, 63, 65, 96])
def test_other_lengths_are_neither_encoding(length: int) -> None:
    key = key_on("P-256")
    junk = bytes(range(1, length + 1))
    assert verify_ecdsa(key.public_key(), junk, b"statement", hashes.SHA256()) is None
    assert read_ecdsa(junk, key.curve) == (
        f"signature is {length} bytes: neither DER nor IEEE P1363 r||s for P-256 (64 bytes)"
    )


def test_der_that_is_not_strict_is_not_read_as_der() -> None:
    key = key_on("P-256")
    r, s = decode_dss_signature(sign_der(key, b"statement"))
    strict = encode_dss_signature(r, s)
    # The same integers with a long-form length byte: BER, which DER forbids.
    body = strict[2:]
    lax = b"\x30\x81" + bytes([len(body)]) + body
    assert verify_ecdsa(key.public_key(), lax, b"statement", hashes.SHA256()) is None


# -- vendor attestations through `provenance verify --segment` ------------------------------


class Vendor:
    """A firmware file, a vendor ECDSA key and a policy needing only its signature."""

    def __init__(self, folder: Path, curve: str = "P-256") -> None:
        self.folder = folder
        self.curve = curve
        self.key = key_on(curve)
        self.artifact = folder / "fw.bin"
        self.artifact.write_bytes(b"firmware signed by a KMS " * 64)
        self.sha256 = hashlib.sha256(self.artifact.read_bytes()).hexdigest()
        public = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (folder / "vendor.pub").write_bytes(public)
        self.key_id = key_id_of(self.key.public_key())
        (folder / "policy.yaml").write_text(
            "version: 1\nvendors:\n  acme:\n    signers: [key: vendor.pub]\n"
            "segments:\n  ops:\n    require: {signed_by: [acme]}\n"
        )

    def statement(self, sha256: str | None = None) -> dict[str, Any]:
        return {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "fw.bin", "digest": {"sha256": sha256 or self.sha256}}],
            "predicateType": VSA,
            "predicate": {
                "verifier": {"id": "https://kms-signer.acme.example"},
                "timeVerified": "2026-06-01T00:00:00Z",
                "resourceUri": "https://acme.example/fw.bin",
                "policy": {"uri": "https://acme.example/policy"},
                "verificationResult": "PASSED",
                "verifiedLevels": ["SLSA_BUILD_LEVEL_2"],
            },
        }

    def envelope(self, *signatures: bytes, statement: dict[str, Any] | None = None) -> bytes:
        payload = json.dumps(statement or self.statement()).encode()
        return json.dumps(
            {
                "payloadType": IN_TOTO_PAYLOAD_TYPE,
                "payload": base64.b64encode(payload).decode(),
                "signatures": [
                    {"keyid": "", "sig": base64.b64encode(sig).decode()} for sig in signatures
                ],
            }
        ).encode()

    def pae(self, statement: dict[str, Any] | None = None) -> bytes:
        return pae(IN_TOTO_PAYLOAD_TYPE, json.dumps(statement or self.statement()).encode())

    def verify(self, cli: CliRunner, envelope: bytes) -> tuple[int, dict[str, Any], str]:
        (self.folder / "fw.bin.intoto.json").write_bytes(envelope)
        result = cli(
            "verify", self.artifact, "--policy", self.folder / "policy.yaml", "--segment", "ops",
            "--format", "json",
        )  # fmt: skip
        assert "Traceback" not in result.stderr
        return result.code, json.loads(result.stdout), result.stderr


def problems(report: dict[str, Any]) -> list[str]:
    return [p["reason"] for p in report["evidence"]["problems"]]


def signer_rule(report: dict[str, Any]) -> str:
    [finding] = [f for f in report["findings"] if f["rule"] == "vendor_signature"]
    [signature] = finding["evidence"]["signatures"]
    rule: str = signature["signer_rule"]
    return rule


@pytest.mark.parametrize("curve", list(CURVES))
def test_a_vsa_signed_in_p1363_is_accepted_and_says_so(
    cli: CliRunner, tmp_path: Path, curve: str
) -> None:
    vendor = Vendor(tmp_path, curve)
    size = CURVES[curve][2]
    raw = p1363(sign_der(vendor.key, vendor.pae()), size)
    code, report, stderr = vendor.verify(cli, vendor.envelope(raw))
    assert code == 0, stderr
    assert stderr == f"OK: {vendor.artifact}: allowed for ops\n"
    assert signer_rule(report) == (
        f"key {tmp_path / 'vendor.pub'} ({vendor.key_id}); signature is {2 * size} bytes: "
        "IEEE P1363 r||s, verified as such"
    )
    assert report["evidence"]["attestations"][0]["predicate_type"] == VSA


def test_a_der_signature_still_says_nothing_extra(cli: CliRunner, tmp_path: Path) -> None:
    vendor = Vendor(tmp_path)
    code, report, _ = vendor.verify(cli, vendor.envelope(sign_der(vendor.key, vendor.pae())))
    assert code == 0
    assert signer_rule(report) == f"key {tmp_path / 'vendor.pub'} ({vendor.key_id})"


def test_a_p1363_signature_over_another_statement_is_refused_naming_the_encoding(
    cli: CliRunner, tmp_path: Path
) -> None:
    vendor = Vendor(tmp_path)
    other = vendor.statement("ab" * 32)
    raw = p1363(sign_der(vendor.key, vendor.pae(other)), 32)
    code, report, _ = vendor.verify(cli, vendor.envelope(raw))
    assert code == 1
    assert problems(report) == [
        f"{tmp_path / 'fw.bin.intoto.json'}: expected a signature by a vendor key of the policy, "
        "got 1 signature(s), none valid under a policy vendor key (signature is 64 bytes: IEEE "
        "P1363 r||s for P-256)"
    ]


def test_malformed_and_wrong_length_signatures_are_named(cli: CliRunner, tmp_path: Path) -> None:
    vendor = Vendor(tmp_path)
    zero_r = bytes(32) + (1).to_bytes(32, "big")
    code, report, _ = vendor.verify(cli, vendor.envelope(zero_r, b"\x01" * 63))
    assert code == 1
    assert problems(report) == [
        f"{tmp_path / 'fw.bin.intoto.json'}: expected a signature by a vendor key of the policy, "
        "got 2 signature(s), none valid under a policy vendor key (1: signature is 64 bytes: "
        "IEEE P1363 r||s for P-256, malformed (r or s is out of range); 2: signature is 63 "
        "bytes: neither DER nor IEEE P1363 r||s for P-256 (64 bytes))"
    ]


def test_one_key_in_two_encodings_is_one_signer(cli: CliRunner, tmp_path: Path) -> None:
    vendor = Vendor(tmp_path)
    second = derive_ec_key("p1363 tests", "second vendor key")
    (tmp_path / "second.pub").write_bytes(
        second.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    (tmp_path / "policy.yaml").write_text(
        "version: 1\nvendors:\n  acme:\n"
        "    signers: [keys: {files: [vendor.pub, second.pub], threshold: 2}]\n"
        "segments:\n  ops:\n    require: {signed_by: [acme]}\n"
    )
    der = sign_der(vendor.key, vendor.pae())
    r, s = decode_dss_signature(der)
    high_s_raw = r.to_bytes(32, "big") + (ORDER_P256 - s).to_bytes(32, "big")
    code, report, _ = vendor.verify(cli, vendor.envelope(der, p1363(der, 32), high_s_raw))
    assert code == 1
    [problem] = problems(report)
    assert problem.endswith(": only 1 signed")
    code, _, stderr = vendor.verify(cli, vendor.envelope(der, sign_der(second, vendor.pae())))
    assert code == 0, stderr


# -- approvals by site staff ----------------------------------------------------------------


def test_an_approval_signed_in_p1363_by_a_member_counts(tmp_path: Path) -> None:
    member = key_on("P-256")
    signer = PublicKeySigner(member.public_key(), "alice.pub", key_id_of(member.public_key()))
    statement = approval_statement(
        artifact_name="fw.bin", artifact_sha256="cd" * 32, group="ot-security",
        segment="level1", approver="alice", comment="bench-tested",
        approved_at=datetime(2026, 6, 1, tzinfo=UTC),
    )  # fmt: skip
    payload = json.dumps(statement).encode()
    raw = p1363(sign_der(member, pae(IN_TOTO_PAYLOAD_TYPE, payload)), 32)

    def envelope(sig: bytes) -> bytes:
        return json.dumps(
            {
                "payloadType": IN_TOTO_PAYLOAD_TYPE,
                "payload": base64.b64encode(payload).decode(),
                "signatures": [{"keyid": "", "sig": base64.b64encode(sig).decode()}],
            }
        ).encode()

    [fact] = verify_approval(
        envelope(raw), "approval.json", artifact_sha256="cd" * 32,
        group_members={"ot-security": {"alice": signer}},
    )  # fmt: skip
    assert fact.member == "alice"
    with pytest.raises(VerificationFailure) as refused:
        verify_approval(
            envelope(raw[:-1] + bytes([raw[-1] ^ 1])), "approval.json",
            artifact_sha256="cd" * 32, group_members={"ot-security": {"alice": signer}},
        )  # fmt: skip
    assert str(refused.value) == (
        "approval.json: expected a signature by a member of a site group (ot-security), got none "
        "that verifies (signature is 64 bytes: IEEE P1363 r||s for P-256)"
    )
