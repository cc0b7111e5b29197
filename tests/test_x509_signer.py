"""X.509 signer rules from their policy form (`load_x509_signer`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from provenance.errors import InputError, VerificationFailure
from provenance.testing.vendor_pki import NOW, VendorPki, sign_cms_detached
from provenance.verification.x509 import load_x509_signer, verify_cms_detached


@pytest.fixture(scope="module")
def pki() -> VendorPki:
    return VendorPki.create()


@pytest.fixture
def certs(tmp_path: Path, pki: VendorPki) -> Path:
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / "acme-root.pem").write_bytes(pki.root.pem)
    (folder / "acme-root.der").write_bytes(pki.root.der)
    (folder / "acme-ca.pem").write_bytes(pki.intermediate.pem)
    (folder / "tsa-root.pem").write_bytes(pki.tsa_root.pem)
    (folder / "bundle.pem").write_bytes(pki.root.pem + pki.tsa_root.pem)
    return tmp_path


def test_full_spec(certs: Path, pki: VendorPki) -> None:
    signer = load_x509_signer(
        {
            "roots": ["certs/acme-root.pem"],
            "intermediates": ["certs/acme-ca.pem"],
            "subject": {"CN": "ACME Code Signing", "O": "ACME"},
            "eku": ["codeSigning", "1.3.6.1.4.1.311.10.3.6"],
            "tsa_roots": ["certs/tsa-root.pem"],
        },
        certs,
    )
    assert signer.roots == (pki.root.certificate,)
    assert signer.intermediates == (pki.intermediate.certificate,)
    assert signer.subject == (("CN", "ACME Code Signing"), ("O", "ACME"))
    assert signer.ekus == (
        ExtendedKeyUsageOID.CODE_SIGNING,
        ObjectIdentifier("1.3.6.1.4.1.311.10.3.6"),
    )
    assert signer.tsa_roots == (pki.tsa_root.certificate,)
    assert signer.source == str(certs / "certs/acme-root.pem")
    assert signer.describe().endswith("(CN=ACME Code Signing, O=ACME)")


def test_defaults_and_der(certs: Path, pki: VendorPki, tmp_path: Path) -> None:
    signer = load_x509_signer({"roots": ["certs/acme-root.der"]}, certs)
    assert signer.roots == (pki.root.certificate,)
    assert signer.ekus == (ExtendedKeyUsageOID.CODE_SIGNING,)
    assert signer.subject == ()
    artifact = tmp_path / "fw.bin"
    artifact.write_bytes(b"fw")
    assert signer.revocation is None  # the segment decides; unset verifies as required
    signature = sign_cms_detached(b"fw", pki.leaf, pki.chain)
    best_effort = signer.with_revocation_default("best-effort")
    assert verify_cms_detached(signature, artifact, [best_effort], now=NOW).matched_rule == (
        signer.source
    )
    with pytest.raises(VerificationFailure, match=r"^revocation required: no answer for the "):
        verify_cms_detached(signature, artifact, [signer], now=NOW)


def test_a_pem_bundle_gives_every_certificate(certs: Path, pki: VendorPki) -> None:
    signer = load_x509_signer({"roots": ["certs/bundle.pem"]}, certs)
    assert signer.roots == (pki.root.certificate, pki.tsa_root.certificate)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"roots": ["certs/acme-root.pem"], "ocsp": []}, r"unknown keys \['ocsp'\]"),
        ({}, r"roots: expected at least one pinned root certificate"),
        ({"roots": "certs/acme-root.pem"}, r"roots: expected a list of file names"),
        ({"roots": [""]}, r"roots: expected non-empty file names"),
        ({"roots": ["certs/missing.pem"]}, r"missing.pem: cannot read root certificate"),
        ({"roots": ["certs/acme-root.pem"], "subject": {"CN": 3}}, r"subject: expected a mapping"),
        (
            {"roots": ["certs/acme-root.pem"], "subject": {"EMAIL": "x"}},
            r"unknown attributes \['EMAIL'\]",
        ),
        ({"roots": ["certs/acme-root.pem"], "eku": []}, r"eku: expected a non-empty list"),
        (
            {"roots": ["certs/acme-root.pem"], "eku": ["serverAuthh"]},
            r"eku: expected one of .* got 'serverAuthh'",
        ),
    ],
)
def test_invalid_specs(certs: Path, spec: dict[str, object], reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        load_x509_signer(spec, certs)


def test_invalid_certificate_files(certs: Path, pki: VendorPki) -> None:
    (certs / "junk.pem").write_bytes(
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    with pytest.raises(InputError, match=r"junk.pem: expected PEM or DER X.509 root certificate"):
        load_x509_signer({"roots": ["junk.pem"]}, certs)
    (certs / "key.pem").write_bytes(
        pki.leaf.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(InputError, match=r"key.pem: expected PEM or DER X.509 root certificate"):
        load_x509_signer({"roots": ["key.pem"]}, certs)
    (certs / "big.pem").write_bytes(b"x" * (256 * 1024 + 1))
    with pytest.raises(InputError, match=r"big.pem: larger than 262144 bytes"):
        load_x509_signer({"roots": ["big.pem"]}, certs)


# -- issue 22: root programs as trust anchors, only with a subject pin ----------------------


def test_microsoft_root_program_with_a_subject_pin(certs: Path) -> None:
    signer = load_x509_signer(
        {"roots": ["store:microsoft"], "subject": {"O": "Northwind Controls"}}, certs
    )
    subjects = {root.subject.rfc4514_string() for root in signer.roots}
    assert len(signer.roots) > 300
    assert "CN=DigiCert Trusted Root G4,OU=www.digicert.com,O=DigiCert Inc,C=US" in subjects
    assert signer.root_stores == ("microsoft",)
    assert signer.source == "store:microsoft"


def test_system_root_store(certs: Path) -> None:
    signer = load_x509_signer({"roots": ["store:system"], "subject": {"CN": "Vendor"}}, certs)
    assert signer.roots


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (
            {"roots": ["store:microsoft"]},
            r"^x509 signer: roots: store:microsoft trusts every CA of a root program; expected a "
            r"subject pin naming the vendor \(subject: \{O: \.\.\., CN: \.\.\.\}\), got none$",
        ),
        (
            {"roots": ["store:mozilla"], "subject": {"O": "x"}},
            r"^x509 signer: roots: unknown root store store:mozilla; expected one of "
            r"store:microsoft, store:system$",
        ),
        (
            {"roots": ["certs/acme-root.pem"], "revocation": "sometimes"},
            r"^x509 signer: revocation: expected one of required, best-effort, got 'sometimes'$",
        ),
    ],
)
def test_root_store_and_revocation_errors(
    certs: Path, spec: dict[str, object], reason: str
) -> None:
    with pytest.raises(InputError, match=reason):
        load_x509_signer(spec, certs)


def test_a_vendor_pki_signature_does_not_chain_to_the_root_program(
    certs: Path, pki: VendorPki, tmp_path: Path
) -> None:
    signer = load_x509_signer(
        {"roots": ["store:microsoft"], "subject": {"O": "ACME"}, "revocation": "best-effort"},
        certs,
    )
    artifact = tmp_path / "fw.bin"
    artifact.write_bytes(b"fw")
    signature = sign_cms_detached(b"fw", pki.leaf, pki.chain)
    with pytest.raises(VerificationFailure, match=r"^certificate chain does not reach a pinned"):
        verify_cms_detached(signature, artifact, [signer], now=NOW)
