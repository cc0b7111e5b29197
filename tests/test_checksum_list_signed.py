"""Signed checksum lists end to end (OpenPGP-signed SHA256SUMS), and the published hash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provenance.errors import EvidenceError, InputError, VerificationFailure
from provenance.inputs.artifact import Artifact, artifact_from_argument
from provenance.testing.openpgp import (
    OpenPgpTestKey,
    armor,
    derive_openpgp_key,
    signed_sha256sums,
)
from provenance.verification.checksum_list import (
    SignatureCheck,
    SignedBy,
    published_hash_fact,
    verify_checksum_list,
)
from provenance.verification.openpgp import (
    OpenPgpSigner,
    openpgp_signature_check,
    parse_openpgp_signer,
)

SEED = "provenance tests: signed checksum lists"
CREATED = datetime(2025, 1, 6, tzinfo=UTC)
SIGNED_AT = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2025, 6, 3, tzinfo=UTC)
FIRMWARE = b"\x7fFW ACME PLC firmware 4.2.1\n" + bytes(range(256)) * 16
INSTALLER = b"MZ ACME HMI installer 2.0"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha512(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


@pytest.fixture(scope="module")
def vendor() -> OpenPgpTestKey:
    return derive_openpgp_key(
        SEED, "vendor", user_id="ACME <release@acme.example>", created=CREATED
    )


@pytest.fixture(scope="module")
def pinned(vendor: OpenPgpTestKey) -> OpenPgpSigner:
    return parse_openpgp_signer(vendor.armored_certificate(), "keys/acme.asc")


@pytest.fixture
def firmware(tmp_path: Path) -> Artifact:
    path = tmp_path / "plc-firmware-4.2.1.bin"
    path.write_bytes(FIRMWARE)
    return artifact_from_argument(str(path))


SHA256SUMS = (
    f"{sha256(INSTALLER)}  hmi-setup-2.0.exe\n{sha256(FIRMWARE)}  plc-firmware-4.2.1.bin\n"
).encode()


def signed(
    key: OpenPgpTestKey, pinned: OpenPgpSigner, signed_list: bytes, name: str = "SHA256SUMS"
) -> tuple[bytes, SignatureCheck]:
    signature = armor(key.sign(signed_list, signed_at=SIGNED_AT))
    check = openpgp_signature_check(
        signature, pinned, now=NOW, signature_name=f"{name}.asc", data_name=name
    )
    return signature, check


def test_signed_sha256sums(
    vendor: OpenPgpTestKey, pinned: OpenPgpSigner, firmware: Artifact
) -> None:
    _, check = signed(vendor, pinned, SHA256SUMS)
    result = verify_checksum_list(SHA256SUMS, "SHA256SUMS", firmware, check)
    assert result.artifact_sha256 == sha256(FIRMWARE)
    assert result.list_name == "SHA256SUMS"
    assert result.list_sha256 == sha256(SHA256SUMS)
    assert result.list_format == "gnu"
    assert result.algorithm == "sha256"
    assert result.listed_name == "plc-firmware-4.2.1.bin"
    assert result.listed_digest == sha256(FIRMWARE)
    assert result.signed_by == SignedBy(
        kind="openpgp",
        signer=f"OpenPGP key keys/acme.asc (0x{vendor.fingerprint})",
        key_id=vendor.fingerprint,
        signed_at=SIGNED_AT,
        evidence="SHA256SUMS.asc",
    )


def test_fixture_helper_makes_a_list_that_verifies(
    vendor: OpenPgpTestKey, pinned: OpenPgpSigner, firmware: Artifact
) -> None:
    files = {"plc-firmware-4.2.1.bin": FIRMWARE, "hmi-setup-2.0.exe": INSTALLER}
    listing, signature = signed_sha256sums(vendor, files, signed_at=SIGNED_AT)
    assert listing == SHA256SUMS
    assert (listing, signature) == signed_sha256sums(vendor, files, signed_at=SIGNED_AT)
    check = openpgp_signature_check(
        signature, pinned, now=NOW, signature_name="SHA256SUMS.asc", data_name="SHA256SUMS"
    )
    assert verify_checksum_list(listing, "SHA256SUMS", firmware, check).listed_digest == sha256(
        FIRMWARE
    )


def test_signed_sha512sums_hashes_the_file(
    vendor: OpenPgpTestKey, pinned: OpenPgpSigner, firmware: Artifact
) -> None:
    sums = f"SHA512 (plc-firmware-4.2.1.bin) = {sha512(FIRMWARE)}\n".encode()
    _, check = signed(vendor, pinned, sums, "SHA512SUMS")
    result = verify_checksum_list(sums, "SHA512SUMS", firmware, check)
    assert result.algorithm == "sha512"
    assert result.listed_digest == sha512(FIRMWARE)


def test_digest_mode_needs_a_name(vendor: OpenPgpTestKey, pinned: OpenPgpSigner) -> None:
    _, check = signed(vendor, pinned, SHA256SUMS)
    digest_only = artifact_from_argument("sha256:" + sha256(FIRMWARE))
    with pytest.raises(VerificationFailure) as raised:
        verify_checksum_list(SHA256SUMS, "SHA256SUMS", digest_only, check)
    assert str(raised.value) == (
        f"sha256:{sha256(FIRMWARE)}: given as a digest; expected its file name to look up in "
        "SHA256SUMS"
    )
    result = verify_checksum_list(
        SHA256SUMS,
        "SHA256SUMS",
        digest_only,
        check,
        artifact_name="plc-firmware-4.2.1.bin",
    )
    assert result.listed_name == "plc-firmware-4.2.1.bin"


def test_digest_mode_cannot_match_a_sha512_list(
    vendor: OpenPgpTestKey, pinned: OpenPgpSigner
) -> None:
    sums = f"{sha512(FIRMWARE)}  plc-firmware-4.2.1.bin\n".encode()
    _, check = signed(vendor, pinned, sums, "SHA512SUMS")
    digest_only = artifact_from_argument("sha256:" + sha256(FIRMWARE))
    with pytest.raises(VerificationFailure) as raised:
        verify_checksum_list(
            sums,
            "SHA512SUMS",
            digest_only,
            check,
            artifact_name="plc-firmware-4.2.1.bin",
        )
    assert str(raised.value) == (
        "SHA512SUMS lists sha512 digests, but the artifact's sha512 is not known (known: "
        "sha256); expected the artifact as a file"
    )


def test_file_name_missing_from_the_list(
    vendor: OpenPgpTestKey, pinned: OpenPgpSigner, tmp_path: Path
) -> None:
    _, check = signed(vendor, pinned, SHA256SUMS)
    path = tmp_path / "plc-firmware-4.3.0.bin"
    path.write_bytes(FIRMWARE)
    with pytest.raises(VerificationFailure) as raised:
        verify_checksum_list(SHA256SUMS, "SHA256SUMS", artifact_from_argument(str(path)), check)
    assert str(raised.value) == "plc-firmware-4.3.0.bin is not listed in SHA256SUMS"


def test_digest_mismatch(vendor: OpenPgpTestKey, pinned: OpenPgpSigner, tmp_path: Path) -> None:
    _, check = signed(vendor, pinned, SHA256SUMS)
    path = tmp_path / "plc-firmware-4.2.1.bin"
    path.write_bytes(FIRMWARE + b"backdoor")
    with pytest.raises(VerificationFailure) as raised:
        verify_checksum_list(SHA256SUMS, "SHA256SUMS", artifact_from_argument(str(path)), check)
    assert str(raised.value) == (
        f"SHA256SUMS lists plc-firmware-4.2.1.bin with sha256 {sha256(FIRMWARE)}, the "
        f"artifact's is {sha256(FIRMWARE + b'backdoor')}"
    )


def test_list_tampered_after_signing(
    vendor: OpenPgpTestKey, pinned: OpenPgpSigner, firmware: Artifact
) -> None:
    _, check = signed(vendor, pinned, SHA256SUMS)
    tampered = SHA256SUMS.replace(sha256(INSTALLER).encode(), sha256(b"evil").encode())
    with pytest.raises(VerificationFailure) as raised:
        verify_checksum_list(tampered, "SHA256SUMS", firmware, check)
    assert str(raised.value) == (
        f"SHA256SUMS.asc: signature by key 0x{vendor.fingerprint} does not match SHA256SUMS: "
        "it was made over other data, or the data changed after signing"
    )


def test_list_signed_by_an_unpinned_key(pinned: OpenPgpSigner, firmware: Artifact) -> None:
    intruder = derive_openpgp_key(
        SEED, "intruder", user_id="ACME <release@acme.example>", created=CREATED
    )
    _, check = signed(intruder, pinned, SHA256SUMS)
    with pytest.raises(VerificationFailure) as raised:
        verify_checksum_list(SHA256SUMS, "SHA256SUMS", firmware, check)
    assert str(raised.value) == (
        f"SHA256SUMS.asc: signed by key 0x{intruder.fingerprint} which is not pinned "
        f"(pinned: 0x{pinned.fingerprints[0]})"
    )


def test_signature_is_checked_before_the_list_is_parsed(firmware: Artifact) -> None:
    seen: list[bytes] = []

    def refuse(data: bytes) -> SignedBy:
        seen.append(data)
        raise VerificationFailure("SHA256SUMS.asc: bad signature")

    with pytest.raises(VerificationFailure) as raised:
        verify_checksum_list(b"\xff not a list", "SHA256SUMS", firmware, refuse)
    assert str(raised.value) == "SHA256SUMS.asc: bad signature"
    assert seen == [b"\xff not a list"]


def test_signed_but_malformed_list_is_evidence_error(
    vendor: OpenPgpTestKey, pinned: OpenPgpSigner, firmware: Artifact
) -> None:
    sums = b"not a checksum line\n"
    _, check = signed(vendor, pinned, sums)
    with pytest.raises(EvidenceError) as raised:
        verify_checksum_list(sums, "SHA256SUMS", firmware, check)
    assert str(raised.value).startswith("SHA256SUMS: line 1: expected '<hex>  name'")


def test_artifact_changed_between_reads(
    vendor: OpenPgpTestKey, pinned: OpenPgpSigner, firmware: Artifact
) -> None:
    sums = f"{sha512(FIRMWARE)}  plc-firmware-4.2.1.bin\n".encode()
    _, check = signed(vendor, pinned, sums, "SHA512SUMS")
    assert firmware.path is not None
    firmware.path.write_bytes(FIRMWARE + b"swapped")
    with pytest.raises(VerificationFailure) as raised:
        verify_checksum_list(sums, "SHA512SUMS", firmware, check)
    assert str(raised.value) == (
        f"{firmware.name}: changed while being verified; sha256 was {sha256(FIRMWARE)}, now "
        f"{sha256(FIRMWARE + b'swapped')}"
    )


# -- the published hash ----------------------------------------------------------------------


@pytest.mark.parametrize("given", ["{d}", "sha256:{d}", "{D}", " {d}\n"])
def test_published_hash_matches(firmware: Artifact, given: str) -> None:
    digest = sha256(FIRMWARE)
    result = published_hash_fact(firmware, given.format(d=digest, D=digest.upper()))
    assert result.artifact_sha256 == digest
    assert result.expected_sha256 == digest
    assert result.source == "operator"


def test_published_hash_differs(firmware: Artifact) -> None:
    with pytest.raises(VerificationFailure) as raised:
        published_hash_fact(firmware, sha256(b"other"))
    assert str(raised.value) == (
        f"{firmware.name}: sha256 is {sha256(FIRMWARE)}, expected {sha256(b'other')} "
        "(--expected-sha256)"
    )
    assert raised.value.check == "published-hash"


@pytest.mark.parametrize("given", ["", "abc", "sha512:" + "0" * 64, "g" * 64, "0" * 128])
def test_published_hash_must_be_a_sha256(firmware: Artifact, given: str) -> None:
    with pytest.raises(InputError) as raised:
        published_hash_fact(firmware, given)
    assert str(raised.value) == (
        "--expected-sha256: expected 64 hexadecimal digits (optionally after 'sha256:'), "
        f"got {given!r}"
    )
