"""The test-only private Sigstore instance: what it mints must pass (and fail) sigstore-python.

sigstore-python 4.5 is the independent referee here: if its own `Verifier` accepts our bundles
against our `trusted_root.json`, the fixtures are realistic; if it rejects each deliberate
defect, the knobs really produce the defect they name.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from sigstore.errors import VerificationError
from sigstore.models import Bundle, InvalidBundle, TrustedRoot
from sigstore.verify import Verifier, policy
from sigstore_models.bundle.v1 import Bundle as BundleModel
from sigstore_models.trustroot.v1 import TrustedRoot as TrustedRootModel

from provenance.testing import (
    BUNDLE_MEDIA_TYPES,
    OIDC_ISSUER_V1_OID,
    OIDC_ISSUER_V2_OID,
    BundleMediaType,
    PrivateSigstoreInstance,
    bundle_json,
    derive_ec_key,
)

SIGNED_AT = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
WORKFLOW = "https://github.com/acme/plc-fw/.github/workflows/release.yml@refs/tags/v1.2.0"
GITHUB = "https://token.actions.githubusercontent.com"
EMAIL = "release@acme.example"
EMAIL_ISSUER = "https://accounts.acme.example"
ARTIFACT = b"PLC firmware 1.2.0\n"
STATEMENT: dict[str, Any] = {
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [{"name": "plc-fw.bin", "digest": {"sha256": "ab" * 32}}],
    "predicateType": "https://slsa.dev/provenance/v1",
    "predicate": {"buildDefinition": {"buildType": "https://example.invalid/build/v1"}},
}


@pytest.fixture(scope="module")
def instance() -> PrivateSigstoreInstance:
    return PrivateSigstoreInstance.create(seed="test-instance", origin="log.test.invalid")


@pytest.fixture
def verifier(instance: PrivateSigstoreInstance, tmp_path: Path) -> Verifier:
    return _verifier(instance, tmp_path)


def _verifier(instance: PrivateSigstoreInstance, tmp_path: Path) -> Verifier:
    path = instance.write_trusted_root(tmp_path / "trusted_root.json")
    return Verifier(trusted_root=TrustedRoot.from_file(str(path)))


def _bundle(raw: dict[str, Any]) -> Bundle:
    return Bundle.from_json(json.dumps(raw))


def _sign_workflow(instance: PrivateSigstoreInstance, **knobs: Any) -> dict[str, Any]:
    return instance.sign_artifact(
        ARTIFACT, identity=WORKFLOW, issuer=GITHUB, signed_at=SIGNED_AT, **knobs
    )


def _verify_workflow(verifier: Verifier, raw: dict[str, Any], data: bytes = ARTIFACT) -> None:
    verifier.verify_artifact(data, _bundle(raw), policy.Identity(identity=WORKFLOW, issuer=GITHUB))


def _leaf(raw: dict[str, Any]) -> x509.Certificate:
    material = raw["verificationMaterial"]
    if "certificate" in material:
        der = material["certificate"]["rawBytes"]
    else:
        der = material["x509CertificateChain"]["certificates"][0]["rawBytes"]
    return x509.load_der_x509_certificate(base64.b64decode(der))


def _entry(raw: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = raw["verificationMaterial"]["tlogEntries"][0]
    return entry


def _body(raw: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(base64.b64decode(_entry(raw)["canonicalizedBody"]))
    return body


# -- accepted by sigstore-python ------------------------------------------------------------


def test_trusted_root_is_strict_valid(instance: PrivateSigstoreInstance) -> None:
    root = TrustedRootModel.from_json(instance.trusted_root_json())
    assert root.media_type == "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
    assert root.tlogs[0].log_id.key_id == instance.log_id
    assert root.ctlogs[0].log_id.key_id == instance.ct_log_id
    chain = root.certificate_authorities[0].cert_chain.certificates
    assert [c.raw_bytes for c in chain] == [
        instance.intermediate.public_bytes(serialization.Encoding.DER),
        instance.ca_root.public_bytes(serialization.Encoding.DER),
    ]
    assert instance.ca_root_pem.startswith("-----BEGIN CERTIFICATE-----\n")
    assert instance.trusted_root_json().endswith("}\n")


@pytest.mark.parametrize("media_type", BUNDLE_MEDIA_TYPES)
def test_artifact_bundle_verifies(
    instance: PrivateSigstoreInstance, verifier: Verifier, media_type: BundleMediaType
) -> None:
    raw = _sign_workflow(instance, media_type=media_type)

    BundleModel.from_json(json.dumps(raw))  # strict: string 64-bit ints, base64 bytes
    _verify_workflow(verifier, raw)
    material = raw["verificationMaterial"]
    if media_type.endswith(("0.1", "0.2")):
        assert len(material["x509CertificateChain"]["certificates"]) == 1
    else:
        assert set(material) == {"certificate", "tlogEntries"}


def test_email_identity_bundle_verifies(
    instance: PrivateSigstoreInstance, verifier: Verifier
) -> None:
    raw = instance.sign_artifact(ARTIFACT, identity=EMAIL, issuer=EMAIL_ISSUER, signed_at=SIGNED_AT)

    verifier.verify_artifact(
        ARTIFACT, _bundle(raw), policy.Identity(identity=EMAIL, issuer=EMAIL_ISSUER)
    )
    san = _leaf(raw).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical
    assert san.value.get_values_for_type(x509.RFC822Name) == [EMAIL]


@pytest.mark.parametrize("media_type", BUNDLE_MEDIA_TYPES)
def test_dsse_bundle_verifies(
    instance: PrivateSigstoreInstance, verifier: Verifier, media_type: BundleMediaType
) -> None:
    raw = instance.sign_dsse(
        STATEMENT, identity=WORKFLOW, issuer=GITHUB, signed_at=SIGNED_AT, media_type=media_type
    )

    payload_type, payload = verifier.verify_dsse(
        _bundle(raw), policy.Identity(identity=WORKFLOW, issuer=GITHUB)
    )
    assert payload_type == "application/vnd.in-toto+json"
    assert json.loads(payload) == STATEMENT
    assert _entry(raw)["kindVersion"] == {"kind": "dsse", "version": "0.0.1"}


@pytest.mark.parametrize(
    ("log_index", "tree_size"), [(0, 1), (0, 2), (1, 2), (3, 4), (4, 5), (6, 7), (2, 9), (8, 9)]
)
def test_inclusion_proof_holds_for_any_position(
    instance: PrivateSigstoreInstance, verifier: Verifier, log_index: int, tree_size: int
) -> None:
    raw = _sign_workflow(instance, log_index=log_index, tree_size=tree_size)

    _verify_workflow(verifier, raw)


def test_default_entry_has_a_real_audit_path_and_a_signed_note(
    instance: PrivateSigstoreInstance,
) -> None:
    proof = _entry(_sign_workflow(instance))["inclusionProof"]

    assert (proof["logIndex"], proof["treeSize"]) == ("5", "7")
    assert len(proof["hashes"]) == 3  # two inner hashes and one on the right border
    body, signature_line = proof["checkpoint"]["envelope"].split("\n\n")
    assert body == f"log.test.invalid\n7\n{proof['rootHash']}"
    assert signature_line.startswith("\u2014 log.test.invalid ")
    assert signature_line.endswith("\n")
    hint = base64.b64decode(signature_line.split(" ")[2])[:4]
    assert hint == instance.log_id[:4]


def test_sharded_entry_index_differs_from_proof_index(
    instance: PrivateSigstoreInstance, verifier: Verifier
) -> None:
    # Rekor v1 shards: the SET covers the global logIndex, the proof its index in the shard.
    raw = _sign_workflow(instance, entry_log_index=123_456_789)

    _verify_workflow(verifier, raw)
    assert _entry(raw)["logIndex"] == "123456789"


def test_leaf_carries_fulcio_issuer_extensions(instance: PrivateSigstoreInstance) -> None:
    both = _leaf(_sign_workflow(instance)).extensions
    v2_only = _leaf(_sign_workflow(instance, issuer_extension="v2")).extensions

    assert both.get_extension_for_oid(OIDC_ISSUER_V1_OID).value.public_bytes() == GITHUB.encode()
    v2 = both.get_extension_for_oid(OIDC_ISSUER_V2_OID).value.public_bytes()
    assert v2 == bytes([0x0C, len(GITHUB)]) + GITHUB.encode()
    with pytest.raises(x509.ExtensionNotFound):
        v2_only.get_extension_for_oid(OIDC_ISSUER_V1_OID)


# -- determinism ----------------------------------------------------------------------------


def _mint_all(seed: str) -> list[str]:
    inst = PrivateSigstoreInstance.create(seed=seed, origin="log.test.invalid")
    managed_key = derive_ec_key(seed, "vendor-release-key")
    return [
        inst.trusted_root_json(),
        bundle_json(_sign_workflow(inst)),
        bundle_json(
            inst.sign_dsse(STATEMENT, identity=EMAIL, issuer=EMAIL_ISSUER, signed_at=SIGNED_AT)
        ),
        bundle_json(inst.sign_with_key(ARTIFACT, managed_key, signed_at=SIGNED_AT)),
    ]


def test_same_seed_gives_identical_bytes() -> None:
    first = _mint_all("determinism")
    second = _mint_all("determinism")

    assert first == second
    raw = json.loads(first[1])
    assert json.dumps(raw, indent=2, sort_keys=False) + "\n" == first[1]


def test_different_seed_gives_different_bytes() -> None:
    for ours, theirs in zip(_mint_all("seed-a"), _mint_all("seed-b"), strict=True):
        assert ours != theirs


# -- rejected by sigstore-python ------------------------------------------------------------


def test_changed_artifact_byte_is_rejected(
    instance: PrivateSigstoreInstance, verifier: Verifier
) -> None:
    tampered = bytes([ARTIFACT[0] ^ 0x01]) + ARTIFACT[1:]

    with pytest.raises(VerificationError, match="digest mismatch"):
        _verify_workflow(verifier, _sign_workflow(instance), tampered)


def test_bundle_from_another_instance_is_rejected(verifier: Verifier) -> None:
    stranger = PrivateSigstoreInstance.create(seed="someone else", origin="log.test.invalid")

    with pytest.raises(VerificationError, match="certificate chain"):
        _verify_workflow(verifier, _sign_workflow(stranger))


def test_other_instance_root_rejects_our_bundle(
    instance: PrivateSigstoreInstance, tmp_path: Path
) -> None:
    stranger = _verifier(PrivateSigstoreInstance.create(seed="someone else"), tmp_path)

    with pytest.raises(VerificationError):
        _verify_workflow(stranger, _sign_workflow(instance))


def test_leaf_without_sct_is_rejected(
    instance: PrivateSigstoreInstance, verifier: Verifier
) -> None:
    raw = _sign_workflow(instance, with_sct=False)

    with pytest.raises(VerificationError, match="signed certificate timestamp"):
        _verify_workflow(verifier, raw)


def test_entry_logged_after_leaf_expired_is_rejected(
    instance: PrivateSigstoreInstance, verifier: Verifier
) -> None:
    raw = _sign_workflow(instance, integrated_time=SIGNED_AT + timedelta(minutes=11))

    # The chain is validated at the log's integrated time, when the leaf had expired.
    with pytest.raises(VerificationError, match="certificate chain"):
        _verify_workflow(verifier, raw)


def test_leaf_with_only_v2_issuer_extension_fails_the_issuer_policy(
    instance: PrivateSigstoreInstance, verifier: Verifier
) -> None:
    # sigstore-python's Identity policy reads only the v1 issuer extension.
    raw = _sign_workflow(instance, issuer_extension="v2")

    with pytest.raises(VerificationError, match=r"1\.3\.6\.1\.4\.1\.57264\.1\.1"):
        _verify_workflow(verifier, raw)


def test_leaf_without_code_signing_is_rejected(
    instance: PrivateSigstoreInstance, verifier: Verifier
) -> None:
    raw = _sign_workflow(instance, code_signing_eku=False)

    with pytest.raises(VerificationError, match="code signing"):
        _verify_workflow(verifier, raw)


def test_other_identity_is_rejected(instance: PrivateSigstoreInstance, verifier: Verifier) -> None:
    raw = _sign_workflow(instance)

    with pytest.raises(VerificationError, match="SANs do not match"):
        verifier.verify_artifact(
            ARTIFACT, _bundle(raw), policy.Identity(identity=WORKFLOW + "x", issuer=GITHUB)
        )


def test_v03_bundle_without_inclusion_promise_is_invalid(instance: PrivateSigstoreInstance) -> None:
    with pytest.raises(InvalidBundle, match="inclusion promise"):
        _bundle(_sign_workflow(instance, inclusion_promise=False))


def test_bundle_without_checkpoint_is_invalid(instance: PrivateSigstoreInstance) -> None:
    with pytest.raises(InvalidBundle, match="checkpoint"):
        _bundle(_sign_workflow(instance, checkpoint=False))


def test_forged_checkpoint_signature_is_rejected(
    instance: PrivateSigstoreInstance, verifier: Verifier
) -> None:
    raw = _sign_workflow(instance)
    checkpoint = _entry(raw)["inclusionProof"]["checkpoint"]
    note, signature_line = checkpoint["envelope"].split("\n\n")
    checkpoint["envelope"] = note.replace("\n7\n", "\n8\n") + "\n\n" + signature_line

    with pytest.raises(VerificationError, match="checkpoint"):
        _verify_workflow(verifier, raw)


# -- managed keys ---------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
def test_managed_key_bundle(instance: PrivateSigstoreInstance, key_type: str) -> None:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
        derive_ec_key("vendor", "release-2026")
        if key_type == "ec"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    raw = instance.sign_with_key(ARTIFACT, key, signed_at=SIGNED_AT, key_hint="acme-release-2026")

    parsed = BundleModel.from_json(json.dumps(raw))
    assert parsed.verification_material.public_key is not None
    assert parsed.verification_material.public_key.hint == "acme-release-2026"
    spec = _body(raw)["spec"]
    assert base64.b64decode(spec["signature"]["publicKey"]["content"]) == public_pem
    signature = base64.b64decode(spec["signature"]["content"])
    digest = bytes.fromhex(spec["data"]["hash"]["value"])
    prehashed = utils.Prehashed(hashes.SHA256())
    public_key = key.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, digest, ec.ECDSA(prehashed))
    else:
        public_key.verify(signature, digest, padding.PKCS1v15(), prehashed)
    # sigstore-python has no managed-key path: it refuses such bundles when loading them.
    with pytest.raises(InvalidBundle, match="expected certificate"):
        _bundle(raw)


# -- misuse ---------------------------------------------------------------------------------


def test_unknown_knob_is_refused(instance: PrivateSigstoreInstance) -> None:
    with pytest.raises(TypeError, match="with_sc"):
        _sign_workflow(instance, with_sc=False)


def test_naive_signing_time_is_refused(instance: PrivateSigstoreInstance) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        instance.sign_artifact(
            ARTIFACT, identity=WORKFLOW, issuer=GITHUB, signed_at=datetime(2025, 3, 1, 12, 0)
        )
