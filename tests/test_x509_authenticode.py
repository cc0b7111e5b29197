"""Authenticode signatures in PE files, and the strict PE parser under them."""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rfc3161_client import decode_timestamp_response

from provenance.errors import EvidenceError, InputError, VerificationFailure
from provenance.evidence.pe_file import authenticode_digest, parse_pe, read_signature
from provenance.testing.vendor_pki import (
    NOW,
    SIGNED_AT,
    NestedSignature,
    VendorPki,
    authenticode_sign,
    authenticode_signed_data,
    legacy_countersignature,
    minimal_pe,
    timestamp_token,
)
from provenance.verification.x509 import (
    X509Signer,
    verify_authenticode,
    verify_authenticode_file,
)
from provenance.verification.x509.countersignature import verify_legacy_countersignature
from provenance.verification.x509.timestamp import (
    _as_response,
    verify_countersignature,
    x509_only,
)


@pytest.fixture(scope="module")
def pki() -> VendorPki:
    return VendorPki.create()


@pytest.fixture(scope="module")
def rule(pki: VendorPki) -> X509Signer:
    return X509Signer(
        roots=(pki.root.certificate,),
        source="certs/acme-root.pem",
        subject=(("CN", "ACME Code Signing"),),
        tsa_roots=(pki.tsa_root.certificate,),
        revocation="best-effort",
    )


@pytest.fixture(scope="module")
def signed(pki: VendorPki) -> bytes:
    return authenticode_sign(minimal_pe(), pki.leaf, pki.chain, timestamp=pki.timestamp())


@pytest.mark.parametrize("pe32_plus", [True, False], ids=["pe32+", "pe32"])
def test_signed_pe_verifies(pki: VendorPki, rule: X509Signer, pe32_plus: bool) -> None:
    image = authenticode_sign(
        minimal_pe(pe32_plus=pe32_plus), pki.leaf, pki.chain, timestamp=pki.timestamp()
    )
    assert parse_pe(image).pe32_plus is pe32_plus
    result = verify_authenticode(image, [rule], now=NOW)
    assert result.kind == "authenticode"
    assert result.leaf_subject == "CN=ACME Code Signing,O=ACME,C=DE"
    assert result.validation_time == SIGNED_AT
    assert result.validation_time_source == "rfc3161:CN=ACME Timestamp Authority,O=ACME,C=DE"
    assert result.digest_algorithm == "sha256"
    assert result.notes == ("no page hashes",)


def test_verify_file(tmp_path: Path, rule: X509Signer, signed: bytes) -> None:
    path = tmp_path / "hmi-setup-2.0.exe"
    path.write_bytes(signed)
    assert verify_authenticode_file(path, [rule], now=NOW).artifact_sha256
    with pytest.raises(InputError, match="cannot read a PE file"):
        verify_authenticode_file(tmp_path / "missing.exe", [rule], now=NOW)


def test_signing_is_deterministic(pki: VendorPki, signed: bytes) -> None:
    again = VendorPki.create()
    assert authenticode_sign(
        minimal_pe(), again.leaf, again.chain, timestamp=again.timestamp()
    ) == (signed)


def test_stripped_signature(rule: X509Signer) -> None:
    with pytest.raises(
        VerificationFailure,
        match=r"^this file carries no Authenticode signature \(no certificate table: never "
        r"signed, or the signature was stripped\)$",
    ):
        verify_authenticode(minimal_pe(), [rule], now=NOW)


def test_signature_stripped_but_directory_left(rule: X509Signer, signed: bytes) -> None:
    offset, _ = parse_pe(signed).certificate_table or (0, 0)
    with pytest.raises(EvidenceError, match=r"certificate table ends at \d+, beyond the end"):
        verify_authenticode(signed[:offset], [rule], now=NOW)


def test_bytes_appended_after_the_signature(rule: X509Signer, signed: bytes) -> None:
    with pytest.raises(
        EvidenceError,
        match=r"^PE file: 16 bytes appended after the certificate table \(table ends at \d+, "
        r"file at \d+\); they would not be covered by the signature$",
    ):
        verify_authenticode(signed + b"MALWARE!" * 2, [rule], now=NOW)


def test_data_hidden_inside_the_certificate_table(rule: X509Signer, signed: bytes) -> None:
    layout = parse_pe(signed)
    offset, size = layout.certificate_table or (0, 0)
    grown = bytearray(signed + b"PAYLOAD!")
    struct.pack_into("<II", grown, layout.certificate_directory_offset, offset, size + 8)
    with pytest.raises(
        EvidenceError, match=r"expected one WIN_CERTIFICATE and zero padding, got \d+ more bytes"
    ):
        verify_authenticode(bytes(grown), [rule], now=NOW)


def test_tampered_section(rule: X509Signer, signed: bytes) -> None:
    text = parse_pe(signed).sections[0]
    tampered = bytearray(signed)
    tampered[text.raw_offset] ^= 0xFF
    with pytest.raises(
        VerificationFailure,
        match=r"^Authenticode image digest \(sha256\) does not match the file: it was changed "
        r"after signing$",
    ):
        verify_authenticode(bytes(tampered), [rule], now=NOW)


def test_checksum_is_not_covered(rule: X509Signer, signed: bytes) -> None:
    changed = bytearray(signed)
    struct.pack_into("<I", changed, parse_pe(signed).checksum_offset, 0)
    assert verify_authenticode(bytes(changed), [rule], now=NOW)


def test_sha1_image_digest_refused(pki: VendorPki, rule: X509Signer) -> None:
    image = authenticode_sign(minimal_pe(), pki.leaf, pki.chain, digest="sha1")
    with pytest.raises(
        VerificationFailure,
        match=r"^Authenticode image digest algorithm sha1 refused: expected sha256, sha384 or "
        r"sha512$",
    ):
        verify_authenticode(image, [rule], now=NOW)


def test_sha512(pki: VendorPki, rule: X509Signer) -> None:
    image = authenticode_sign(minimal_pe(), pki.leaf, pki.chain, digest="sha512")
    assert verify_authenticode(image, [rule], now=NOW).digest_algorithm == "sha512"


def test_eku_missing(pki: VendorPki) -> None:
    image = authenticode_sign(minimal_pe(), pki.no_eku_leaf, pki.chain)
    signer = X509Signer(roots=(pki.root.certificate,), source="r", revocation="best-effort")
    with pytest.raises(VerificationFailure, match=r"^EKU codeSigning missing"):
        verify_authenticode(image, [signer], now=NOW)


def test_wrong_root(signed: bytes) -> None:
    other = VendorPki.create(seed="provenance tests: somebody else's pki", organization="Evil")
    signer = X509Signer(
        roots=(other.root.certificate,), source="evil-root.pem", revocation="best-effort"
    )
    with pytest.raises(VerificationFailure, match=r"^certificate chain does not reach a pinned"):
        verify_authenticode(signed, [signer], now=NOW)


def test_signature_from_another_file(pki: VendorPki, rule: X509Signer) -> None:
    """A valid signature block transplanted onto another image."""
    donor = authenticode_sign(minimal_pe(), pki.leaf, pki.chain)
    offset, size = parse_pe(donor).certificate_table or (0, 0)
    target = authenticode_sign(minimal_pe(code=b"\x90\x31\xc0\xc3"), pki.leaf, pki.chain)
    t_offset, _ = parse_pe(target).certificate_table or (0, 0)
    transplanted = bytearray(target[:t_offset] + donor[offset : offset + size])
    struct.pack_into(
        "<II", transplanted, parse_pe(target).certificate_directory_offset, t_offset, size
    )
    with pytest.raises(VerificationFailure, match=r"image digest \(sha256\) does not match"):
        verify_authenticode(bytes(transplanted), [rule], now=NOW)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b: b"ZM" + b[2:], r"expected the DOS signature 'MZ'"),
        (lambda b: b[:0x3C] + b"\xff\xff\xff\x7f" + b[0x40:], r"expected e_lfanew within"),
        (lambda b: b[:0x80] + b"NE\0\0" + b[0x84:], r"expected the PE signature at offset 128"),
        (lambda b: b[:0x90], r"truncated: COFF header at offset 132 needs 20 bytes"),
        (lambda b: b[:0x98] + b"\x0b\x03" + b[0x9A:], r"expected optional header magic"),
    ],
    ids=["mz", "e_lfanew", "pe-signature", "truncated", "magic"],
)
def test_malformed_headers(rule: X509Signer, signed: bytes, mutate: object, reason: str) -> None:
    with pytest.raises(EvidenceError, match=reason):
        verify_authenticode(mutate(signed), [rule], now=NOW)  # type: ignore[operator]


def test_every_truncation_fails_cleanly(rule: X509Signer, signed: bytes) -> None:
    for cut in range(0, len(signed), 97):
        with pytest.raises(VerificationFailure) as failure:
            verify_authenticode(signed[:cut], [rule], now=NOW)
        assert "\n" not in str(failure.value)


def test_bit_flips_in_the_signature_fail_cleanly(rule: X509Signer, signed: bytes) -> None:
    offset, _ = parse_pe(signed).certificate_table or (0, 0)
    for position in range(offset, len(signed), 31):
        mutated = bytearray(signed)
        mutated[position] ^= 0x04
        reason = _failure(verify_authenticode, bytes(mutated), [rule], now=NOW)
        assert "\n" not in reason, f"flip at {position}: {reason}"


def test_win_certificate_header_checks(signed: bytes) -> None:
    offset, size = parse_pe(signed).certificate_table or (0, 0)
    table = bytearray(signed[offset : offset + size])
    assert read_signature(bytes(table))[:1] == b"\x30"
    struct.pack_into("<H", table, 4, 0x0100)
    with pytest.raises(
        EvidenceError, match=r"expected WIN_CERTIFICATE revision 0x0200, got 0x0100"
    ):
        read_signature(bytes(table))
    struct.pack_into("<HH", table, 4, 0x0200, 0x0001)
    with pytest.raises(EvidenceError, match=r"expected WIN_CERTIFICATE type PKCS_SIGNED_DATA"):
        read_signature(bytes(table))


def test_image_hash_excludes_checksum_and_directory(signed: bytes) -> None:
    layout = parse_pe(signed)
    blanked = bytearray(signed)
    struct.pack_into("<I", blanked, layout.checksum_offset, 0xDEADBEEF)
    assert authenticode_digest(bytes(blanked), layout, "sha256") == authenticode_digest(
        signed, layout, "sha256"
    )


@pytest.mark.skipif(
    shutil.which("osslsigncode") is None,
    reason="osslsigncode is not installed (.ci/run installs it from Debian where it runs as "
    "root): no independent Authenticode verifier to cross-check with",
)
def test_osslsigncode_accepts_our_signature(pki: VendorPki, signed: bytes, tmp_path: Path) -> None:
    image = tmp_path / "signed.exe"
    image.write_bytes(signed)
    (tmp_path / "root.pem").write_bytes(pki.root.pem)
    (tmp_path / "tsa-root.pem").write_bytes(pki.tsa_root.pem)
    done = subprocess.run(
        ["osslsigncode", "verify", "-in", image, "-CAfile", tmp_path / "root.pem",
         "-TSA-CAfile", tmp_path / "tsa-root.pem"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Signature verification: ok" in done.stdout
    assert "Timestamp Server Signature verification: ok" in done.stdout


@pytest.mark.skipif(
    shutil.which("osslsigncode") is None,
    reason="osslsigncode is not installed (.ci/run installs it from Debian where it runs as "
    "root): no independent Authenticode verifier to cross-check with",
)
def test_osslsigncode_rejects_what_we_reject(signed: bytes, tmp_path: Path) -> None:
    text = parse_pe(signed).sections[0]
    tampered = bytearray(signed)
    tampered[text.raw_offset] ^= 0xFF
    image = tmp_path / "tampered.exe"
    image.write_bytes(bytes(tampered))
    done = subprocess.run(
        ["osslsigncode", "verify", "-in", image], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "MISMATCH" in done.stdout


def _failure(call: Callable[..., object], *args: object, **kwargs: object) -> str:
    """The failure's reason, or "" if the call verified (a flip in an unsigned field)."""
    try:
        call(*args, **kwargs)
    except VerificationFailure as exc:
        return str(exc)
    return ""


# -- issue 22: Authenticode as it exists in the wild ----------------------------------------

BEFORE_EXPIRY = datetime(2024, 6, 1, tzinfo=UTC)  # the expired leaf expired on 2025-01-01


def test_padding_counted_in_dwlength_is_read_past_and_must_be_zero(
    pki: VendorPki, rule: X509Signer
) -> None:
    image = authenticode_sign(minimal_pe(), pki.leaf, pki.chain, timestamp=pki.timestamp())
    offset, size = parse_pe(image).certificate_table or (0, 0)
    table = image[offset : offset + size]
    (declared,) = struct.unpack_from("<I", table, 0)
    assert declared == size  # as signtool and osslsigncode write it
    padding = size - 8 - len(read_signature(table))
    assert 0 <= padding < 8
    assert verify_authenticode(image, [rule], now=NOW)
    if padding:
        smuggled = bytearray(image)
        smuggled[offset + size - 1] = 0x41
        with pytest.raises(
            EvidenceError,
            match=r"expected the SignedData followed by at most 7 zero bytes of padding, got "
            rf"{padding} bytes after it that are not zero",
        ):
            verify_authenticode(bytes(smuggled), [rule], now=NOW)


def test_padding_only_in_the_directory_size_still_verifies(
    pki: VendorPki, rule: X509Signer
) -> None:
    image = authenticode_sign(minimal_pe(), pki.leaf, pki.chain, padding_in_length=False)
    assert verify_authenticode(image, [rule], now=NOW).digest_algorithm == "sha256"


def test_dual_signature_counts_the_nested_sha256_and_reports_both(
    pki: VendorPki, rule: X509Signer
) -> None:
    image = authenticode_sign(
        minimal_pe(), pki.leaf, pki.chain, digest="sha1",
        nested=[NestedSignature(pki.leaf, pki.chain, timestamp=pki.timestamp())],
    )  # fmt: skip
    result = verify_authenticode(image, [rule], now=NOW)
    assert result.digest_algorithm == "sha256"
    assert result.validation_time == SIGNED_AT
    assert result.notes == (
        "no page hashes",
        "nested signature 1 counted",
        "primary signature: Authenticode image digest algorithm sha1 refused: expected sha256, "
        "sha384 or sha512",
        "nested signature 1: verified (sha256)",
    )


def test_the_strongest_verified_signature_counts(pki: VendorPki, rule: X509Signer) -> None:
    image = authenticode_sign(
        minimal_pe(), pki.leaf, pki.chain, digest="sha256",
        nested=[NestedSignature(pki.leaf, pki.chain, digest="sha512")],
    )  # fmt: skip
    result = verify_authenticode(image, [rule], now=NOW)
    assert result.digest_algorithm == "sha512"
    assert "nested signature 1 counted" in result.notes


def test_a_nested_signature_by_an_unpinned_signer_does_not_count(
    pki: VendorPki, rule: X509Signer
) -> None:
    other = VendorPki.create(seed="provenance tests: somebody else's pki", organization="Evil")
    image = authenticode_sign(
        minimal_pe(), pki.leaf, pki.chain, digest="sha1",
        nested=[NestedSignature(other.leaf, other.chain)],
    )  # fmt: skip
    with pytest.raises(VerificationFailure) as failure:
        verify_authenticode(image, [rule], now=NOW)
    assert str(failure.value).startswith(
        "no Authenticode signature verified: primary signature: Authenticode image digest "
        "algorithm sha1 refused: expected sha256, sha384 or sha512; nested signature 1: "
        "certificate chain does not reach a pinned root"
    )


def test_a_nested_signature_over_another_image_does_not_count(
    pki: VendorPki, rule: X509Signer
) -> None:
    donor = authenticode_sign(minimal_pe(code=b"\x90\xc3"), pki.leaf, pki.chain)
    offset, size = parse_pe(donor).certificate_table or (0, 0)
    foreign = read_signature(donor[offset : offset + size])
    # The donor's whole SignedData grafted in as a nested signature: its image digest is of
    # the other file.
    grafted = _graft(minimal_pe(), pki, foreign)
    with pytest.raises(VerificationFailure, match=r"nested signature 1: Authenticode image digest"):
        verify_authenticode(grafted, [rule], now=NOW)


def _graft(unsigned: bytes, pki: VendorPki, nested: bytes) -> bytes:
    """`unsigned` signed (SHA-1 primary) with `nested` as its nested signature, as is."""

    padded = unsigned + b"\0" * (-len(unsigned) % 8)
    signature = authenticode_signed_data(
        padded, pki.leaf, pki.chain, digest="sha1", timestamp=None, signing_time=None,
        nested=[nested],
    )  # fmt: skip
    entry = struct.pack("<IHH", 8 + len(signature), 0x0200, 0x0002) + signature
    entry += b"\0" * (-len(entry) % 8)
    data = bytearray(padded)
    struct.pack_into(
        "<II", data, parse_pe(padded).certificate_directory_offset, len(padded), len(entry)
    )
    return bytes(data) + entry


def test_legacy_countersignature_by_a_trusted_tsa_is_the_signing_time(
    pki: VendorPki, rule: X509Signer
) -> None:
    image = authenticode_sign(
        minimal_pe(), pki.expired_leaf, pki.chain, countersignature=pki.timestamp(BEFORE_EXPIRY)
    )
    result = verify_authenticode(
        image, [X509Signer(roots=rule.roots, source="r", tsa_roots=rule.tsa_roots,
                           revocation="best-effort")], now=NOW,
    )  # fmt: skip
    assert result.validation_time == BEFORE_EXPIRY
    assert (
        result.validation_time_source == "countersignature:CN=ACME Timestamp Authority,O=ACME,C=DE"
    )


def test_legacy_countersignature_over_another_signature_is_set_aside(
    pki: VendorPki, rule: X509Signer
) -> None:

    counter = legacy_countersignature(b"another signature", pki.timestamp())
    with pytest.raises(VerificationFailure) as failure:
        verify_legacy_countersignature(
            counter, b"this signature", [pki.tsa.certificate], [pki.tsa_root.certificate]
        )
    assert str(failure.value) == (
        "PKCS#9 countersignature: its messageDigest is not the digest of the signature it is on"
    )


def test_microsoft_shaped_token_is_read_past_its_attribute_certificate(pki: VendorPki) -> None:
    """rfc3161-client 1.0.9 cannot parse a token whose certificate set holds an attribute
    certificate (as Microsoft's TSAs issue them); the gate hands it the X.509 entries only."""

    stamp = replace(pki.timestamp(), attribute_certificate=True)
    token = timestamp_token(b"the signature", stamp)
    with pytest.raises(ValueError, match="ParseError"):
        decode_timestamp_response(_as_response(token))  # the library's limit, as of 1.0.9
    assert x509_only(token) != token
    trusted = verify_countersignature(token, b"the signature", [pki.tsa_root.certificate])
    assert trusted.time == SIGNED_AT
    # The signed parts are untouched: a token over other data still fails.
    with pytest.raises(VerificationFailure, match=r"^RFC 3161 timestamp: "):
        verify_countersignature(token, b"another signature", [pki.tsa_root.certificate])


def test_a_timestamp_is_not_read_when_no_tsa_is_trusted(pki: VendorPki) -> None:
    with pytest.raises(VerificationFailure) as failure:
        verify_countersignature(b"\x30\x03garbage", b"sig", [])
    assert str(failure.value) == "RFC 3161 timestamp: no TSA root is trusted"
