"""Detached CMS / PKCS#7 signatures against pinned vendor roots (provenance.verification.x509)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from provenance.errors import EvidenceError, VerificationFailure
from provenance.testing.vendor_pki import (
    EXPIRED_AT,
    NOW,
    SIGNED_AT,
    Issued,
    Timestamp,
    VendorPki,
    sign_cms_detached,
)
from provenance.verification.x509 import (
    ContentDigest,
    X509Signer,
    verify_cms_detached,
)

GOLDEN_ROOT_SHA256 = "fa18e8d262634005136ef621b962ce53e832c9fa1e50c4d76e7821ae694cbc10"
FIRMWARE = b"\x7fFW ACME PLC firmware 5.0.0\n" + bytes(range(256)) * 16


@pytest.fixture(scope="module")
def pki() -> VendorPki:
    return VendorPki.create()


@pytest.fixture(scope="module")
def other_pki() -> VendorPki:
    return VendorPki.create(seed="provenance tests: somebody else's pki", organization="Evil")


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "plc-firmware-5.0.0.bin"
    path.write_bytes(FIRMWARE)
    return path


def rule(pki: VendorPki, *, tsa: bool = True, **kw: object) -> X509Signer:
    return X509Signer(
        roots=(pki.root.certificate,),
        source="certs/acme-root.pem",
        tsa_roots=(pki.tsa_root.certificate,) if tsa else (),
        **{"revocation": "best-effort", **kw},  # type: ignore[arg-type]
    )


def test_detached_der_signature_verifies_with_trusted_timestamp(
    pki: VendorPki, artifact: Path
) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain, timestamp=pki.timestamp())
    signer = rule(pki, subject=(("CN", "ACME Code Signing"), ("O", "ACME")))
    result = verify_cms_detached(signature, artifact, [signer], now=NOW)
    assert result.kind == "cms-detached"
    assert result.matched_rule == "certs/acme-root.pem"
    assert result.leaf_subject == "CN=ACME Code Signing,O=ACME,C=DE"
    assert [c.subject for c in result.issuers] == [
        "CN=ACME Code Signing CA,O=ACME,C=DE",
        "CN=ACME Root CA,O=ACME,C=DE",
    ]
    assert result.root_sha256 == pki.root.certificate.fingerprint(x509_sha256()).hex()
    assert result.signing_time == SIGNED_AT
    assert result.validation_time == SIGNED_AT
    assert result.validation_time_source == "rfc3161:CN=ACME Timestamp Authority,O=ACME,C=DE"
    assert result.revocation == "not checked"
    assert not result.revocation_checked
    assert result.digest_algorithm == "sha256"
    assert result.artifact_sha256 == hashlib.sha256(FIRMWARE).hexdigest()
    assert result.notes == ()


def x509_sha256() -> hashes.HashAlgorithm:
    return hashes.SHA256()


@pytest.mark.parametrize("digest", ["sha256", "sha384", "sha512"])
def test_pem_signature_and_every_sha2_digest(pki: VendorPki, artifact: Path, digest: str) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain, digest=digest, pem=True)  # type: ignore[arg-type]
    assert signature.startswith(b"-----BEGIN PKCS7-----\n")
    result = verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)
    assert result.digest_algorithm == digest
    assert result.validation_time == NOW
    assert result.validation_time_source == "now"


@pytest.fixture(scope="module")
def rsa_leaf(pki: VendorPki) -> Issued:
    return pki.issue_leaf("rsa-leaf", key=rsa.generate_private_key(65537, 2048))


@pytest.mark.parametrize("pss", [False, True], ids=["pkcs1v15", "pss"])
@pytest.mark.parametrize("digest", ["sha256", "sha512"])
def test_rsa_signers(
    pki: VendorPki, rsa_leaf: Issued, artifact: Path, pss: bool, digest: str
) -> None:
    signature = sign_cms_detached(FIRMWARE, rsa_leaf, pki.chain, digest=digest, rsa_pss=pss)  # type: ignore[arg-type]
    result = verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)
    assert result.digest_algorithm == digest
    tampered = sign_cms_detached(b"other", rsa_leaf, pki.chain, digest=digest, rsa_pss=pss)  # type: ignore[arg-type]
    with pytest.raises(VerificationFailure, match="messageDigest does not match"):
        verify_cms_detached(tampered, artifact, [rule(pki)], now=NOW)


def test_digest_mode(pki: VendorPki) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain)
    digest = ContentDigest("sha256", hashlib.sha256(FIRMWARE).digest())
    result = verify_cms_detached(signature, digest, [rule(pki)], now=NOW)
    assert result.artifact_sha256 == digest.digest.hex()


def test_digest_mode_with_another_algorithm_than_the_signer(pki: VendorPki) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain, digest="sha512")
    digest = ContentDigest("sha256", hashlib.sha256(FIRMWARE).digest())
    with pytest.raises(VerificationFailure, match=r"uses sha512, but only the artifact's sha256"):
        verify_cms_detached(signature, digest, [rule(pki)], now=NOW)


def test_signatures_are_deterministic(pki: VendorPki) -> None:
    # Golden: the root's bytes are the same on every machine and run (RFC 6979 ECDSA).
    assert hashlib.sha256(pki.root.der).hexdigest() == GOLDEN_ROOT_SHA256
    again = VendorPki.create()
    assert again.leaf.der == pki.leaf.der
    assert sign_cms_detached(FIRMWARE, again.leaf, again.chain, timestamp=again.timestamp()) == (
        sign_cms_detached(FIRMWARE, pki.leaf, pki.chain, timestamp=pki.timestamp())
    )


# -- negatives, each with its reason ----------------------------------------------------------


def test_wrong_root(pki: VendorPki, other_pki: VendorPki, artifact: Path) -> None:
    signature = sign_cms_detached(FIRMWARE, other_pki.leaf, other_pki.chain)
    with pytest.raises(
        VerificationFailure,
        match=r"^certificate chain does not reach a pinned root "
        r"\(issuer 'CN=Evil Root CA,O=Evil,C=DE'\)$",
    ):
        verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)


def test_chain_missing_its_intermediate(pki: VendorPki, artifact: Path) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf)  # no intermediate shipped
    with pytest.raises(
        VerificationFailure,
        match=r"does not reach a pinned root \(issuer 'CN=ACME Code Signing CA,O=ACME,C=DE'\)",
    ):
        verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)
    # ... and the rule may supply it.
    with_ca = rule(pki, intermediates=(pki.intermediate.certificate,))
    assert verify_cms_detached(signature, artifact, [with_ca], now=NOW).leaf_subject


def test_expired_at_the_signing_time(pki: VendorPki, artifact: Path) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.expired_leaf, pki.chain, timestamp=pki.timestamp())
    with pytest.raises(
        VerificationFailure,
        match=r"^signer certificate expired at 2025-01-01T00:00:00Z, before the signing time "
        r"2026-03-02T09:30:00Z \(rfc3161:CN=ACME Timestamp Authority,O=ACME,C=DE\)$",
    ):
        verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)


def test_expired_leaf_timestamped_while_valid_verifies(pki: VendorPki, artifact: Path) -> None:
    early = Timestamp(pki.tsa, (pki.tsa_root.certificate,), EXPIRED_AT.replace(year=2024))
    signature = sign_cms_detached(FIRMWARE, pki.expired_leaf, pki.chain, timestamp=early)
    result = verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)
    assert result.validation_time == early.at


def test_expired_without_timestamp_is_judged_now(pki: VendorPki, artifact: Path) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.expired_leaf, pki.chain)
    with pytest.raises(
        VerificationFailure,
        match=r"expired at 2025-01-01T00:00:00Z, before the validation time "
        r"2026-03-15T12:00:00Z \(now\)$",
    ):
        verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)


def test_eku_missing(pki: VendorPki, artifact: Path) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.no_eku_leaf, pki.chain)
    with pytest.raises(
        VerificationFailure,
        match=r"^EKU codeSigning missing from the signer certificate \(got clientAuth\)$",
    ):
        verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)


def test_subject_mismatch(pki: VendorPki, artifact: Path) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain)
    signer = rule(pki, subject=(("CN", "ACME Release Signing"),))
    with pytest.raises(
        VerificationFailure,
        match=r"^signer certificate subject CN: expected 'ACME Release Signing', "
        r"got 'ACME Code Signing'$",
    ):
        verify_cms_detached(signature, artifact, [signer], now=NOW)


def test_digest_mismatch(pki: VendorPki) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain)
    wrong = ContentDigest("sha256", hashlib.sha256(b"other").digest())
    with pytest.raises(
        VerificationFailure, match=r"^messageDigest does not match the artifact \(sha256\)$"
    ):
        verify_cms_detached(signature, wrong, [rule(pki)], now=NOW)


def test_signature_over_another_file(pki: VendorPki, artifact: Path) -> None:
    signature = sign_cms_detached(b"another firmware image", pki.leaf, pki.chain)
    with pytest.raises(VerificationFailure, match=r"messageDigest does not match the artifact"):
        verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)


def test_tampered_signature_value(pki: VendorPki, artifact: Path) -> None:
    signature = bytearray(sign_cms_detached(FIRMWARE, pki.leaf, pki.chain))
    signature[-5] ^= 0x01  # inside the ECDSA signature's s value
    with pytest.raises(
        VerificationFailure,
        match=r"signature over the signed attributes does not verify with the signer certificate "
        r"'CN=ACME Code Signing,O=ACME,C=DE'",
    ):
        verify_cms_detached(bytes(signature), artifact, [rule(pki)], now=NOW)


@pytest.mark.parametrize("digest", ["md5", "sha1"])
def test_weak_digest_refused(pki: VendorPki, artifact: Path, digest: str) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain, digest=digest)  # type: ignore[arg-type]
    with pytest.raises(
        VerificationFailure,
        match=rf"^SignerInfo digest algorithm {digest} refused: expected sha256, sha384 or sha512$",
    ):
        verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)


def test_truncated_der(pki: VendorPki, artifact: Path) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain)
    with pytest.raises(EvidenceError, match=r"^CMS signature: truncated or malformed DER"):
        verify_cms_detached(signature[:-10], artifact, [rule(pki)], now=NOW)


@pytest.mark.parametrize("junk", [b"", b"\x30", b"not a signature", b"\x30\x03\x02\x01\x00"])
def test_junk(pki: VendorPki, artifact: Path, junk: bytes) -> None:
    with pytest.raises(EvidenceError, match=r"^CMS signature: "):
        verify_cms_detached(junk, artifact, [rule(pki)], now=NOW)


def test_every_truncation_and_bit_flip_fails_cleanly(pki: VendorPki, artifact: Path) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain, timestamp=pki.timestamp())
    for cut in range(0, len(signature), 41):
        with pytest.raises(VerificationFailure) as failure:
            verify_cms_detached(signature[:cut], artifact, [rule(pki)], now=NOW)
        assert "\n" not in str(failure.value)
    for position in range(0, len(signature), 29):
        mutated = bytearray(signature)
        mutated[position] ^= 0x20
        reason = _failure(verify_cms_detached, bytes(mutated), artifact, [rule(pki)], now=NOW)
        assert "\n" not in reason, f"flip at {position}: {reason}"


def test_no_signer_info(pki: VendorPki, artifact: Path) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain, no_signer_info=True)
    with pytest.raises(EvidenceError, match=r"^CMS signature: CMS has no SignerInfo$"):
        verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)


def test_untrusted_tsa_falls_back_to_now(
    pki: VendorPki, other_pki: VendorPki, artifact: Path
) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain, timestamp=other_pki.timestamp())
    result = verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)
    assert result.validation_time == NOW
    assert result.validation_time_source == "now"
    assert len(result.notes) == 1
    assert result.notes[0].startswith("RFC 3161 timestamp: ")
    assert result.notes[0].endswith("; validated at now")


def test_timestamp_without_trusted_tsa_roots_falls_back_to_now(
    pki: VendorPki, artifact: Path
) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain, timestamp=pki.timestamp())
    result = verify_cms_detached(signature, artifact, [rule(pki, tsa=False)], now=NOW)
    assert result.validation_time_source == "now"
    assert result.notes == ("RFC 3161 timestamp: no TSA root is trusted; validated at now",)
    # The caller may trust the TSA instead of the rule.
    trusted = verify_cms_detached(
        signature, artifact, [rule(pki, tsa=False)], now=NOW, tsa_roots=[pki.tsa_root.certificate]
    )
    assert trusted.validation_time == SIGNED_AT


def test_timestamp_after_now_is_not_used(pki: VendorPki, artifact: Path) -> None:
    later = pki.timestamp(datetime(2026, 3, 20, tzinfo=UTC))
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain, timestamp=later)
    result = verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)
    assert result.validation_time_source == "now"
    assert result.notes == (
        "RFC 3161 timestamp 2026-03-20T00:00:00Z is after now; validated at now",
    )


def test_untrusted_timestamp_does_not_rescue_an_expired_leaf(
    pki: VendorPki, other_pki: VendorPki, artifact: Path
) -> None:
    signature = sign_cms_detached(
        FIRMWARE,
        pki.expired_leaf,
        pki.chain,
        timestamp=other_pki.timestamp(EXPIRED_AT.replace(year=2024)),
    )
    with pytest.raises(VerificationFailure, match=r"before the validation time .* \(now\)$"):
        verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)


def test_several_rules_report_every_reason(
    pki: VendorPki, other_pki: VendorPki, artifact: Path
) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.no_eku_leaf, pki.chain)
    rules = [rule(other_pki), rule(pki)]
    with pytest.raises(VerificationFailure) as failure:
        verify_cms_detached(signature, artifact, rules, now=NOW)
    assert str(failure.value) == (
        "no signature verified: rule certs/acme-root.pem: certificate chain does not reach a "
        "pinned root (issuer 'CN=ACME Root CA,O=ACME,C=DE'); rule certs/acme-root.pem: "
        "EKU codeSigning missing from the signer certificate (got clientAuth)"
    )


def test_one_verifying_signer_info_is_enough(
    pki: VendorPki, other_pki: VendorPki, artifact: Path
) -> None:
    signature = sign_cms_detached(
        FIRMWARE, other_pki.leaf, other_pki.chain, co_signers=[pki.leaf, pki.intermediate]
    )
    result = verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)
    assert result.signer_index == 1
    assert result.leaf_subject == "CN=ACME Code Signing,O=ACME,C=DE"


def test_no_verifying_signer_info_reports_each(
    pki: VendorPki, other_pki: VendorPki, artifact: Path
) -> None:
    signature = sign_cms_detached(FIRMWARE, other_pki.leaf, other_pki.chain, co_signers=[pki.leaf])
    with pytest.raises(VerificationFailure) as failure:
        verify_cms_detached(signature, artifact, [rule(pki)], now=NOW)
    # DER sorts the SET OF SignerInfos, so the order is the encoding's, not the signing order.
    message = str(failure.value)
    assert message.startswith("no signature verified: SignerInfo #1: ")
    assert "; SignerInfo #2: " in message
    assert "certificate chain does not reach a pinned root (issuer 'CN=Evil Root CA" in message
    assert "does not reach a pinned root (issuer 'CN=ACME Code Signing CA,O=ACME,C=DE')" in message


def test_no_rules(pki: VendorPki, artifact: Path) -> None:
    signature = sign_cms_detached(FIRMWARE, pki.leaf, pki.chain)
    with pytest.raises(VerificationFailure, match=r"^no X.509 signer rule to verify against$"):
        verify_cms_detached(signature, artifact, [], now=NOW)


def test_rule_needs_a_root() -> None:
    with pytest.raises(ValueError, match="at least one pinned root"):
        X509Signer(roots=(), source="x")


@pytest.mark.skipif(
    shutil.which("openssl") is None,
    reason="openssl is not installed: no independent CMS verifier to cross-check with",
)
def test_openssl_cms_verify_accepts_our_signatures(
    pki: VendorPki, artifact: Path, tmp_path: Path
) -> None:
    signature = tmp_path / "sig.p7s"
    signature.write_bytes(sign_cms_detached(FIRMWARE, pki.leaf, pki.chain))
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root.pem)
    done = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", signature,
         "-content", artifact, "-CAfile", root, "-purpose", "any", "-attime",
         str(int(NOW.timestamp())), "-out", tmp_path / "out"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Verification successful" in done.stderr


def _failure(call: Callable[..., object], *args: object, **kwargs: object) -> str:
    """The failure's reason, or "" if the call verified (a flip in an unsigned field)."""
    try:
        call(*args, **kwargs)
    except VerificationFailure as exc:
        return str(exc)
    return ""
