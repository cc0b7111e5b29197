"""`provenance verify ARTIFACT --bundle FILE` with a FILE that is other release evidence: the
verdict is a failed verification (exit 1) naming what the file is and where it counts, never
a bundle field error; a real bundle that is malformed keeps the parser's message."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from provenance.evidence.what_is_it import what_is_it
from provenance.testing import derive_ec_key
from provenance.testing.openpgp import armor, derive_openpgp_key, detached_signature
from provenance.testing.vendor_pki import VendorPki, sign_cms_detached
from tests.conftest import CliRunner

REPO = Path(__file__).parents[1]
GOLANG = REPO / "tests/data/in_toto_golang/generated"
KEY = derive_ec_key("not-a-bundle tests", "vendor")
ARTIFACT = b"firmware 1.0\n"
POLICY_MODE = "--policy FILE --segment NAME"
DSSE = (
    "a bare DSSE envelope: not verifiable offline without its Rekor entry (slsa-github-generator "
    "before v2.1 ships these{inside}; ask the vendor for the Sigstore bundle, .sigstore.json); "
    f"one signed with a vendor's key verifies with {POLICY_MODE}"
)
BARE = (
    "a bare signature ({how}), as `cosign sign-blob --output-signature` or `openssl dgst -sign` "
    "write it, not a Sigstore bundle: it has no certificate or log entry"
)
OPENPGP = (
    "an OpenPGP signature ({how}), not a Sigstore bundle: a vendor's OpenPGP signature verifies "
    f"with {POLICY_MODE} (signers: [openpgp: KEY])"
)
CMS = (
    "a CMS (PKCS #7) signature, not a Sigstore bundle: a vendor's X.509 signature verifies with "
    f"{POLICY_MODE} (signers: [x509: ...])"
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def envelope(*, cert: bool = False) -> bytes:
    statement = {"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicate": {}}
    signature: dict[str, str] = {"keyid": "", "sig": b64(b"\x30\x06\x02\x01\x01\x02\x01\x01")}
    if cert:
        signature["cert"] = "-----BEGIN CERTIFICATE-----\n..."
    return json.dumps(
        {
            "payloadType": "application/vnd.in-toto+json",
            "payload": b64(json.dumps(statement).encode()),
            "signatures": [signature],
        }
    ).encode()


def bundle_entry(predicate_type: str) -> dict[str, object]:
    return {
        "predicateType": predicate_type,
        "bundle": {"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1"},
    }


def der_signature() -> bytes:
    return KEY.sign(ARTIFACT, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


def pem(label: str, der: bytes) -> bytes:
    return f"-----BEGIN {label}-----\n{b64(der)}\n-----END {label}-----\n".encode()


def openpgp_signature() -> bytes:
    key = derive_openpgp_key(
        "not-a-bundle tests", user_id="Vendor <v@example.com>",
        created=datetime(2025, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    return detached_signature(key, ARTIFACT, signed_at=datetime(2026, 1, 1, tzinfo=UTC))


def cases() -> dict[str, tuple[bytes, str]]:
    pki = VendorPki.create()
    spki = KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    layout = (GOLANG / "root.layout").read_bytes()
    link = next(GOLANG.glob("write-code.*.link")).read_bytes()
    return {
        "bare DSSE envelope (key-signed)": (envelope(), DSSE.format(inside="")),
        "bare DSSE envelope with its certificate (slsa-github-generator < v2.1)": (
            envelope(cert=True),
            DSSE.format(inside=", its certificate inside but never logged"),
        ),
        "PEP 740 attestation": (
            json.dumps(
                {
                    "version": 1,
                    "verification_material": {"certificate": "", "transparency_entries": []},
                    "envelope": {"statement": "", "signature": ""},
                }
            ).encode(),
            # verify reads PEP 740 attestations (tests/test_pep740.py): this one is malformed.
            "PEP 740 attestation: verification_material.transparency_entries: expected a "
            "non-empty list",
        ),
        "PyPI Integrity API provenance": (
            json.dumps({"version": 1, "attestation_bundles": [{}, {}]}).encode(),
            "PyPI provenance object: attestation_bundles[0]: missing attestations, publisher",
        ),
        "in-toto layout": (
            layout,
            "an in-toto layout, not a Sigstore bundle: it verifies with its links beside the "
            f"artifact through a policy (vendors.NAME.in_toto.layout_keys; {POLICY_MODE})",
        ),
        "in-toto link": (
            link,
            "an in-toto link (step 'write-code'), not a Sigstore bundle: links count only with "
            f"their layout ({POLICY_MODE})",
        ),
        "CycloneDX SBOM": (
            (REPO / "fixtures/sboms/plc-firmware-4.2.1.cdx.json").read_bytes(),
            "a CycloneDX SBOM (specVersion 1.6), not a signature: check it with `provenance "
            "sbom check FILE`",
        ),
        "SPDX SBOM": (
            b'{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT"}',
            "an SPDX SBOM (SPDX-2.3), not a signature: check it with `provenance sbom check FILE`",
        ),
        "npm attestations document": (
            json.dumps(
                {
                    "attestations": [
                        bundle_entry(
                            "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
                        ),
                        bundle_entry("https://slsa.dev/provenance/v1"),
                    ]
                }
            ).encode(),
            "an npm attestations document (2: publish, SLSA provenance), not one Sigstore "
            "bundle: check it with --npm-package NAME@VERSION and --npm-registry-keys FILE",
        ),
        "GitHub attestations response": (
            json.dumps({"attestations": [{"bundle": {}, "repository_id": 1}]}).encode(),
            "an attestations API response (1 entries, as GitHub's), not one Sigstore bundle: "
            "give one entry's bundle, or let --attestations-from fetch them",
        ),
        "OpenVEX": (
            b'{"@context": "https://openvex.dev/ns/v0.2.0", "statements": []}',
            "an OpenVEX document, not a signature",
        ),
        "CSAF advisory": (
            b'{"document": {"csaf_version": "2.0"}}',
            "a CSAF advisory, not a signature",
        ),
        "Sigstore trusted root": (
            (REPO / "fixtures/acme-delivery/trusted_root.json").read_bytes(),
            "a Sigstore trusted root, not a bundle: give it with --trusted-root",
        ),
        "cosign legacy bundle": (
            b'{"base64Signature": "", "cert": "", "rekorBundle": {}}',
            "a bundle in cosign's own legacy format (base64Signature, rekorBundle), not a "
            "Sigstore bundle: ask for `cosign sign-blob --new-bundle-format` output",
        ),
        "unsigned in-toto Statement": (
            b'{"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://x/y"}',
            "an unsigned in-toto Statement (predicate https://x/y): nothing signs it",
        ),
        "securesystemslib key": (
            b'{"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": "00"}}',
            "a securesystemslib key, not a Sigstore bundle",
        ),
        "JSON Lines of envelopes": (
            envelope() + b"\n" + envelope() + b"\n",
            "a JSON Lines file of 2 documents (as .intoto.jsonl), not one bundle; line 1 is "
            f"{DSSE.format(inside='')}; {POLICY_MODE} reads every line",
        ),
        "JSON Lines of bundles": (
            b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}\n' * 3,
            "a JSON Lines file of 3 documents (as .intoto.jsonl), not one bundle; line 1 is a "
            f"Sigstore bundle; {POLICY_MODE} reads every line",
        ),
        "OpenPGP signature, armored": (
            armor(openpgp_signature()),
            OPENPGP.format(how="ASCII-armored"),
        ),
        "OpenPGP signature, binary": (openpgp_signature(), OPENPGP.format(how="binary")),
        "CMS signature, DER": (sign_cms_detached(ARTIFACT, pki.leaf), CMS),
        "CMS signature, PEM": (sign_cms_detached(ARTIFACT, pki.leaf, pem=True), CMS),
        "X.509 certificate, PEM": (
            pki.leaf.pem,
            "an X.509 certificate (PEM), not a Sigstore bundle",
        ),
        "X.509 certificate, DER": (
            pki.leaf.der,
            "an X.509 certificate (DER), not a Sigstore bundle",
        ),
        "public key": (
            pem("PUBLIC KEY", spki),
            "a PEM public key, not a Sigstore bundle: give a managed-key bundle's key with --key",
        ),
        "bare ECDSA signature, DER": (der_signature(), BARE.format(how="ECDSA, DER")),
        "bare ECDSA signature, base64 (cosign)": (
            b64(der_signature()).encode() + b"\n",
            BARE.format(how="ECDSA, base64"),
        ),
    }


CASES = cases()


@pytest.mark.parametrize("case", list(CASES))
def test_verify_says_what_the_file_is(cli: CliRunner, tmp_path: Path, case: str) -> None:
    data, description = CASES[case]
    artifact = tmp_path / "fw.bin"
    artifact.write_bytes(ARTIFACT)
    given = tmp_path / "evidence"
    given.write_bytes(data)
    key = tmp_path / "vendor.pub"
    key.write_bytes(
        KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    result = cli("verify", artifact, "--bundle", given, "--key", key)
    assert result.code == 1
    assert result.stderr == f"FAIL: {artifact}: {description}\n"
    assert "Field required" not in result.stdout
    identity = cli(
        "verify", artifact, "--bundle", given, "--certificate-identity", "x",
        "--certificate-oidc-issuer", "y", "--format", "json",
    )  # fmt: skip
    assert identity.code == 1
    assert json.loads(identity.stdout)["reason"] == description


def test_a_malformed_bundle_keeps_the_parsers_message(cli: CliRunner, tmp_path: Path) -> None:
    artifact = tmp_path / "fw.bin"
    artifact.write_bytes(ARTIFACT)
    broken = tmp_path / "fw.bin.sigstore.json"
    broken.write_text('{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}')
    result = cli(
        "verify", artifact, "--certificate-identity", "x", "--certificate-oidc-issuer", "y"
    )
    assert result.code == 1
    assert (
        result.stderr
        == f"FAIL: {artifact}: bundle is malformed: verificationMaterial: Field required\n"
    )


@pytest.mark.parametrize(
    "data",
    [b"\x00\x01 random", b"{", b"[1, 2]", b'{"unknown": true}', b"\x30\x03\x02\x01"],
)
def test_anything_else_is_left_to_the_parser(data: bytes) -> None:
    assert what_is_it(data) is None
