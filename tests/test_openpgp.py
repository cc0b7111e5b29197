"""OpenPGP detached signatures: keys and signatures by our packet writer, checked by pysequoia."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pysequoia
import pytest

from provenance.errors import EvidenceError, InputError, VerificationFailure
from provenance.testing.openpgp import (
    OpenPgpTestKey,
    _crc24,
    _signature,
    armor,
    derive_openpgp_key,
    detached_signature,
    revoked,
)
from provenance.verification.openpgp import (
    MAX_SIGNATURE_BYTES,
    OpenPgpSigner,
    OpenPgpVerified,
    load_openpgp_signer,
    openpgp_signature_check,
    parse_openpgp_signer,
    verify_openpgp_signature,
)

SEED = "provenance tests: openpgp"
CREATED = datetime(2025, 1, 6, tzinfo=UTC)
SIGNED_AT = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2025, 6, 3, tzinfo=UTC)
FIRMWARE = b"\x7fFW ACME PLC firmware 4.2.1\n" + bytes(range(256)) * 16
UID = "ACME Automation Release Signing <release@acme.example>"


def vendor_key(
    *labels: str,
    expires_after: timedelta | None = None,
    signing_subkey: bool = False,
    primary_signs: bool = True,
) -> OpenPgpTestKey:
    return derive_openpgp_key(
        SEED,
        *labels,
        user_id=UID,
        created=CREATED,
        expires_after=expires_after,
        signing_subkey=signing_subkey,
        primary_signs=primary_signs,
    )


@pytest.fixture(scope="module")
def key() -> OpenPgpTestKey:
    return vendor_key("vendor")


@pytest.fixture(scope="module")
def signer(key: OpenPgpTestKey) -> OpenPgpSigner:
    return parse_openpgp_signer(key.armored_certificate(), "keys/vendor.asc")


def verify(
    signature: bytes,
    signer: OpenPgpSigner | list[OpenPgpSigner],
    data: bytes | Path = FIRMWARE,
    now: datetime = NOW,
) -> OpenPgpVerified:
    return verify_openpgp_signature(
        signature, data, signer, now=now, data_name="plc.bin", signature_name="plc.bin.asc"
    )


def failure(
    exc_type: type[Exception],
    signature: bytes,
    signer: OpenPgpSigner,
    data: bytes | Path = FIRMWARE,
    now: datetime = NOW,
) -> str:
    with pytest.raises(exc_type) as raised:
        verify(signature, signer, data, now)
    return str(raised.value)


# -- the test key writer, cross-checked by the library -------------------------------------


def test_keys_and_signatures_are_byte_reproducible() -> None:
    one, two = vendor_key("repro", signing_subkey=True), vendor_key("repro", signing_subkey=True)
    assert one.certificate == two.certificate
    assert detached_signature(one, b"x", signed_at=SIGNED_AT) == detached_signature(
        two, b"x", signed_at=SIGNED_AT
    )
    assert vendor_key("other").certificate != one.certificate


def test_crc24_matches_the_rfc_4880_parameters() -> None:
    # CRC-24/OPENPGP check value over "123456789".
    assert _crc24(b"123456789") == 0x21CF02
    assert _crc24(b"") == 0xB704CE


def test_library_reads_our_certificate_as_written(key: OpenPgpTestKey) -> None:
    for encoded in (key.certificate, key.armored_certificate()):
        cert = pysequoia.Cert.from_bytes(encoded)
        assert cert.fingerprint.upper() == key.fingerprint
        assert [str(uid) for uid in cert.user_ids] == [UID]
        assert cert.expiration is None


def test_armor_is_what_the_library_expects(key: OpenPgpTestKey) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    armored = armor(signature)
    assert armored.startswith(b"-----BEGIN PGP SIGNATURE-----\n\n")
    assert armored.endswith(b"-----END PGP SIGNATURE-----\n")
    assert bytes(pysequoia.Sig.from_bytes(armored)) == signature


# -- verification that passes --------------------------------------------------------------


@pytest.mark.parametrize("armored", [True, False], ids=["asc", "sig"])
def test_detached_signature_verifies(
    key: OpenPgpTestKey, signer: OpenPgpSigner, armored: bool
) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    result = verify(armor(signature) if armored else signature, signer)
    assert result.signing_key == key.fingerprint
    assert result.primary_key == key.fingerprint
    assert result.user_ids == (UID,)
    assert result.signed_at == SIGNED_AT
    assert result.hash_algorithm == "SHA256"
    assert result.key_algorithm == "EdDSA"
    assert result.signer is signer


def test_verifies_over_a_file(key: OpenPgpTestKey, signer: OpenPgpSigner, tmp_path: Path) -> None:
    firmware = tmp_path / "plc.bin"
    firmware.write_bytes(FIRMWARE)
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    assert verify(signature, signer, data=firmware).signing_key == key.fingerprint


def test_unreadable_data_file_is_an_input_error(
    key: OpenPgpTestKey, signer: OpenPgpSigner, tmp_path: Path
) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    message = failure(InputError, signature, signer, data=tmp_path / "missing.bin")
    assert message.endswith("missing.bin: cannot read data to verify: No such file or directory")


def test_signing_subkey_bound_to_the_pinned_primary() -> None:
    key = vendor_key("subkey", signing_subkey=True, primary_signs=False)
    signer = parse_openpgp_signer(key.certificate, "keys/vendor.pgp")
    result = verify(detached_signature(key, FIRMWARE, signed_at=SIGNED_AT), signer)
    assert result.signing_key == key.signing_fingerprint != key.fingerprint
    assert result.primary_key == key.fingerprint


@pytest.mark.parametrize("hash_name", ["SHA384", "SHA512"])
def test_stronger_hashes_are_accepted(
    key: OpenPgpTestKey, signer: OpenPgpSigner, hash_name: str
) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT, hash_name=hash_name)
    assert verify(signature, signer).hash_algorithm == hash_name


def test_key_that_expired_since_no_longer_vouches_without_a_trusted_time() -> None:
    """Issue 22: the creation time is the signer's claim. A key that expired after 200 days
    signs (or claims to have signed) on day 146; at day 300 nothing trusted says when, so the
    key must be valid now, and it is not."""
    key = vendor_key("expires", expires_after=timedelta(days=200))
    signer = parse_openpgp_signer(key.certificate, "keys/vendor.pgp")
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    assert verify(signature, signer, now=CREATED + timedelta(days=150)).signed_at == SIGNED_AT
    now = CREATED + timedelta(days=300)
    expiry = (CREATED + timedelta(days=200)).isoformat()
    assert failure(VerificationFailure, signature, signer, now=now) == (
        f"plc.bin.asc: key 0x{key.fingerprint} expired at {expiry}; expected a key valid now "
        f"({now.isoformat()}): the signature's own time ({SIGNED_AT.isoformat()}) is the "
        "signer's claim, not a trusted time"
    )


def test_backdated_signature_by_an_expired_key_is_refused() -> None:
    """The attack: the key expired in 2025; its holder writes a 2025 creation time into a
    signature made in 2026."""
    key = vendor_key("expired in 2025", expires_after=timedelta(days=100))
    signer = parse_openpgp_signer(key.certificate, "keys/vendor.pgp")
    backdated = detached_signature(key, FIRMWARE, signed_at=CREATED + timedelta(days=10))
    message = failure(VerificationFailure, backdated, signer, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert message.startswith(f"plc.bin.asc: key 0x{key.fingerprint} expired at ")
    assert "is the signer's claim, not a trusted time" in message


def test_any_of_several_pinned_files_may_sign(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    other = parse_openpgp_signer(vendor_key("other").certificate, "keys/other.pgp")
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    assert verify(signature, [other, signer]).signer is signer


def test_certificates_made_by_sequoia_interoperate() -> None:
    tsk = pysequoia.Tsk.generate("Other Vendor <sign@other.example>")
    signature = pysequoia.sign(
        tsk.signer(), FIRMWARE, mode=pysequoia.SignatureMode.DETACHED, armor=True
    )
    signer = parse_openpgp_signer(str(tsk.extract_certificate()).encode(), "keys/other.asc")
    result = verify(signature, signer, now=datetime.now(UTC) + timedelta(minutes=1))
    assert result.primary_key == signer.fingerprints[0]
    assert result.signing_key != result.primary_key  # Sequoia signs with a subkey
    assert result.user_ids == ("Other Vendor <sign@other.example>",)


def test_signature_check_reports_who_signed(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    signature = armor(detached_signature(key, FIRMWARE, signed_at=SIGNED_AT))
    check = openpgp_signature_check(
        signature, signer, now=NOW, signature_name="SHA256SUMS.asc", data_name="SHA256SUMS"
    )
    signed_by = check(FIRMWARE)
    assert signed_by.kind == "openpgp"
    assert signed_by.key_id == key.fingerprint
    assert signed_by.signed_at == SIGNED_AT
    assert signed_by.signer == f"OpenPGP key keys/vendor.asc (0x{key.fingerprint})"
    assert signed_by.evidence == "SHA256SUMS.asc"


# -- verification that fails, each with its reason -----------------------------------------


def test_signature_over_another_file(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    signature = detached_signature(key, b"another file", signed_at=SIGNED_AT)
    assert failure(VerificationFailure, signature, signer) == (
        f"plc.bin.asc: signature by key 0x{key.fingerprint} does not match plc.bin: it was "
        "made over other data, or the data changed after signing"
    )


def test_data_tampered_after_signing(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    message = failure(VerificationFailure, signature, signer, data=FIRMWARE + b"\x00")
    assert "does not match plc.bin" in message


def test_signed_by_a_key_that_is_not_pinned(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    intruder = vendor_key("intruder")
    signature = detached_signature(intruder, FIRMWARE, signed_at=SIGNED_AT)
    assert failure(VerificationFailure, signature, signer) == (
        f"plc.bin.asc: signed by key 0x{intruder.fingerprint} which is not pinned "
        f"(pinned: 0x{key.fingerprint})"
    )


@pytest.mark.parametrize("hash_name", ["SHA1", "MD5", "SHA224"])
def test_weak_hash_is_refused(key: OpenPgpTestKey, signer: OpenPgpSigner, hash_name: str) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT, hash_name=hash_name)
    message = failure(VerificationFailure, signature, signer)
    assert message.startswith(
        f"plc.bin.asc: signature uses {hash_name}; expected SHA-256 or stronger ("
    )


def test_signature_made_after_the_key_expired() -> None:
    key = vendor_key("expired", expires_after=timedelta(days=30))
    signer = parse_openpgp_signer(key.certificate, "keys/vendor.pgp")
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    assert failure(VerificationFailure, signature, signer) == (
        f"plc.bin.asc: key 0x{key.fingerprint} expired at 2025-02-05T00:00:00+00:00; expected "
        "it valid when the signature was made at 2025-06-02T08:00:00+00:00"
    )


def test_signing_subkey_expired() -> None:
    key = vendor_key("subkey-expired", expires_after=timedelta(days=30), signing_subkey=True)
    signer = parse_openpgp_signer(key.certificate, "keys/vendor.pgp")
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    message = failure(VerificationFailure, signature, signer)
    assert f"key 0x{key.signing_fingerprint} expired at 2025-02-05T00:00:00+00:00" in message


def test_revoked_key(key: OpenPgpTestKey) -> None:
    compromised = revoked(key, revoked_at=SIGNED_AT + timedelta(hours=1))
    signer = parse_openpgp_signer(compromised.certificate, "keys/vendor.pgp")
    # "Key material compromised" voids even signatures made before the revocation.
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    assert failure(VerificationFailure, signature, signer) == (
        f"plc.bin.asc: key 0x{key.fingerprint} is revoked; expected a key that was valid "
        "when it signed"
    )


def test_retired_key_no_longer_vouches_even_for_signatures_dated_before(
    key: OpenPgpTestKey,
) -> None:
    # Reason 3, "key is retired": Sequoia keeps signatures dated before the revocation valid,
    # but that date is the signer's claim; with no trusted time the key must be valid now.
    retired = revoked(key, revoked_at=SIGNED_AT + timedelta(hours=1), reason=3)
    signer = parse_openpgp_signer(retired.certificate, "keys/vendor.pgp")
    early = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    assert failure(VerificationFailure, early, signer).startswith(
        f"plc.bin.asc: key 0x{key.fingerprint} is revoked; expected a key valid now ("
    )
    late = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT + timedelta(hours=2))
    message = failure(VerificationFailure, late, signer)
    assert message == (
        f"plc.bin.asc: key 0x{key.fingerprint} is revoked; expected a key that was valid "
        "when it signed"
    )


def test_primary_without_signing_flag_cannot_sign() -> None:
    key = vendor_key("certify-only", signing_subkey=True, primary_signs=False)
    signer = parse_openpgp_signer(key.certificate, "keys/vendor.pgp")
    signature = _signature(key.primary, 0x00, FIRMWARE, created=SIGNED_AT)
    message = failure(VerificationFailure, signature, signer)
    assert message.startswith(f"plc.bin.asc: key 0x{key.fingerprint} is not certified for signing")


def test_signature_older_than_the_key(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=CREATED - timedelta(days=1))
    assert failure(VerificationFailure, signature, signer) == (
        "plc.bin.asc: signature made at 2025-01-05T00:00:00+00:00, before key "
        f"0x{key.fingerprint} was created at 2025-01-06T00:00:00+00:00"
    )


def test_signature_from_the_future(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    message = failure(VerificationFailure, signature, signer, now=SIGNED_AT - timedelta(seconds=1))
    assert message == (
        "plc.bin.asc: signature made at 2025-06-02T08:00:00+00:00, after the verification "
        "time 2025-06-02T07:59:59+00:00"
    )


def test_armored_garbage(signer: OpenPgpSigner) -> None:
    garbage = b"-----BEGIN PGP SIGNATURE-----\n\nAAAAAAAA\n-----END PGP SIGNATURE-----\n"
    message = failure(EvidenceError, garbage, signer)
    assert message.startswith(
        "plc.bin.asc: expected an OpenPGP signature (armored or binary), got unparsable data: "
    )
    assert "\n" not in message


def test_not_openpgp_at_all(signer: OpenPgpSigner) -> None:
    message = failure(EvidenceError, b"this is not a signature", signer)
    assert message.startswith("plc.bin.asc: expected an OpenPGP signature (armored or binary)")


def test_binary_truncated(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    message = failure(EvidenceError, signature[:-7], signer)
    assert message == (
        "plc.bin.asc: expected an OpenPGP signature (armored or binary), got unparsable data: "
        "Malformed packet: Truncated packet"
    )


def test_trailing_garbage_after_the_signature(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    assert "got unparsable data" in failure(EvidenceError, signature + b"junk", signer)


def test_two_signatures_in_one_file(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    assert failure(EvidenceError, signature + signature, signer) == (
        "plc.bin.asc: expected exactly one OpenPGP signature packet, got Signature, Signature"
    )


def test_a_certificate_is_not_a_signature(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    assert failure(EvidenceError, key.certificate, signer) == (
        "plc.bin.asc: expected exactly one OpenPGP signature packet, got PublicKey, UserID, "
        "Signature"
    )


def test_key_signature_is_not_a_document_signature(
    key: OpenPgpTestKey, signer: OpenPgpSigner
) -> None:
    packets = list(pysequoia.packet.PacketPile.from_bytes(key.certificate))
    assert failure(EvidenceError, bytes(packets[-1]), signer) == (
        "plc.bin.asc: expected a binary document signature (type 0x00), got PositiveCertification"
    )


def test_text_mode_signature_is_refused(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    # A text signature would also cover FIRMWARE with its LF bytes turned into CR LF.
    signature = _signature(key.primary, 0x01, FIRMWARE, created=SIGNED_AT)
    assert failure(EvidenceError, signature, signer) == (
        "plc.bin.asc: expected a binary document signature (type 0x00), got Text"
    )


def test_oversized_signature(signer: OpenPgpSigner) -> None:
    assert failure(EvidenceError, b"\xc2" * (MAX_SIGNATURE_BYTES + 1), signer) == (
        f"plc.bin.asc: expected an OpenPGP signature of at most {MAX_SIGNATURE_BYTES} bytes, "
        f"got {MAX_SIGNATURE_BYTES + 1}"
    )


def test_empty_pinned_set_names_none(key: OpenPgpTestKey, signer: OpenPgpSigner) -> None:
    empty = replace(signer, certificates=(), fingerprints=())
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    assert failure(VerificationFailure, signature, empty).endswith(
        "which is not pinned (pinned: none)"
    )


# -- pinned key files ----------------------------------------------------------------------


def test_load_armored_and_binary_certificates(key: OpenPgpTestKey, tmp_path: Path) -> None:
    for name, data in (("vendor.asc", key.armored_certificate()), ("vendor.pgp", key.certificate)):
        path = tmp_path / name
        path.write_bytes(data)
        signer = load_openpgp_signer(path)
        assert signer.fingerprints == (key.fingerprint,)
        assert signer.source == str(path)
        assert signer.certificates == (key.certificate,)
        assert signer.describe() == f"OpenPGP key {path} (0x{key.fingerprint})"


def test_keyring_with_two_certificates(key: OpenPgpTestKey) -> None:
    other = vendor_key("second")
    signer = parse_openpgp_signer(key.certificate + other.certificate, "keys/ring.pgp")
    assert signer.fingerprints == (key.fingerprint, other.fingerprint)
    signature = detached_signature(other, FIRMWARE, signed_at=SIGNED_AT)
    assert verify(signature, signer).primary_key == other.fingerprint


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        load_openpgp_signer(tmp_path / "absent.asc")
    assert str(raised.value).endswith(
        "absent.asc: cannot read OpenPGP public key: No such file or directory"
    )


def test_key_file_with_garbage(tmp_path: Path) -> None:
    path = tmp_path / "vendor.asc"
    path.write_bytes(b"not a key")
    with pytest.raises(InputError) as raised:
        load_openpgp_signer(path)
    assert str(raised.value).startswith(
        f"{path}: expected an OpenPGP public key (armored or binary), got unparsable data: "
    )


def test_empty_key_file(tmp_path: Path) -> None:
    path = tmp_path / "vendor.asc"
    path.write_bytes(b"")
    with pytest.raises(InputError) as raised:
        load_openpgp_signer(path)
    assert str(raised.value) == f"{path}: expected an OpenPGP public key, got no certificate"


def test_secret_key_is_refused_as_a_pin(tmp_path: Path) -> None:
    path = tmp_path / "vendor.asc"
    path.write_bytes(bytes(pysequoia.Tsk.generate("Careless <c@example>")))
    with pytest.raises(InputError) as raised:
        load_openpgp_signer(path)
    assert str(raised.value) == (
        f"{path}: holds secret key material; expected an OpenPGP public key (export it with "
        "`gpg --export`, not `--export-secret-keys`)"
    )


def test_signature_file_is_not_a_key(key: OpenPgpTestKey) -> None:
    signature = detached_signature(key, FIRMWARE, signed_at=SIGNED_AT)
    with pytest.raises(InputError) as raised:
        parse_openpgp_signer(signature, "keys/vendor.asc")
    assert str(raised.value).startswith(
        "keys/vendor.asc: expected an OpenPGP public key (armored or binary), got unparsable data:"
    )


def test_oversized_key_file(tmp_path: Path) -> None:
    path = tmp_path / "vendor.asc"
    path.write_bytes(b"\x00" * (1024 * 1024 + 1))
    with pytest.raises(InputError) as raised:
        load_openpgp_signer(path)
    assert str(raised.value) == f"{path}: larger than 1048576 bytes; not an OpenPGP public key"
