"""Log entry consistency: the log's record must describe this very signature (CVE-2022-36056).

Without this check a valid inclusion proof for *some* entry could vouch for an unrelated
signature. Each supported entry type is compared field by field with the bundle's signature,
signer and signed content. Unknown types fail.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pydantic import ValidationError

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.evidence.sigstore_bundle import DsseContent, ParsedBundle
from provenance.verification.dsse import pae

if TYPE_CHECKING:
    from provenance.verification.signers import VerifyingKey

__all__ = ["check_entry_body", "entry_kind"]

_CHECK = "tlog-consistency"


def entry_kind(bundle: ParsedBundle) -> str:
    return f"{bundle.entry.kind_version.kind}/{bundle.entry.kind_version.version}"


def check_entry_body(
    bundle: ParsedBundle, *, signer: x509.Certificate | VerifyingKey, artifact_sha256: bytes
) -> None:
    """Compare the logged body with the bundle; `artifact_sha256` is used for message bundles."""
    try:
        body = load_json(bundle.entry.canonicalized_body)
    except MalformedJson as exc:
        raise EvidenceError(f"log entry body is not JSON: {exc}", check=_CHECK) from exc
    if not isinstance(body, dict):
        raise EvidenceError("log entry body is not a JSON object", check=_CHECK)
    kind = entry_kind(bundle)
    # The bundle's kindVersion is outside the Merkle leaf; the body's own fields are not.
    logged = f"{body.get('kind')}/{body.get('apiVersion')}"
    if logged != kind:
        raise VerificationFailure(
            f"log entry type: bundle says {kind}, logged body says {logged}", check=_CHECK
        )
    is_dsse = isinstance(bundle.content, DsseContent)
    checker = _CHECKERS.get((kind, is_dsse))
    if checker is None:
        content = "DSSE envelope" if is_dsse else "message signature"
        raise VerificationFailure(
            f"unsupported log entry type {kind} for a {content}", check=_CHECK
        )
    checker(_field(body, "spec", dict), bundle, _SignerMatch(signer), artifact_sha256)


class _SignerMatch:
    """Compares logged signer material (a PEM or DER certificate or public key) with ours."""

    def __init__(self, signer: x509.Certificate | VerifyingKey) -> None:
        self.is_certificate = isinstance(signer, x509.Certificate)
        if isinstance(signer, x509.Certificate):
            self.der = signer.public_bytes(serialization.Encoding.DER)
        else:
            self.der = signer.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )

    def check_pem(self, pem: bytes, where: str) -> None:
        try:
            if self.is_certificate:
                der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
            else:
                der = serialization.load_pem_public_key(pem).public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
        except (ValueError, TypeError) as exc:
            kind = "certificate" if self.is_certificate else "public key"
            raise VerificationFailure(
                f"{where}: expected the signing {kind} in PEM, got something else", check=_CHECK
            ) from exc
        self.check_der(der, where)

    def check_der(self, der: bytes, where: str) -> None:
        if der != self.der:
            kind = "certificate" if self.is_certificate else "public key"
            raise VerificationFailure(
                f"{where}: logged {kind} is not the bundle's signer", check=_CHECK
            )


def _field(obj: Mapping[str, Any], key: str, kind: type) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind):
        raise EvidenceError(
            f"log entry body: expected {key!r} to be {kind.__name__}, got {type(value).__name__}",
            check=_CHECK,
        )
    return value


def _b64(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EvidenceError(f"log entry body: {where} is not base64", check=_CHECK) from exc


def _expect(label: str, expected: object, got: object) -> None:
    if expected != got:
        raise VerificationFailure(
            f"log entry {label}: expected {_show(expected)}, got {_show(got)}", check=_CHECK
        )


def _show(value: object) -> str:
    if isinstance(value, bytes):
        # Signatures are long and often of equal length: show a recognisable prefix.
        return value.hex() if len(value) <= 32 else f"{value[:8].hex()}... ({len(value)} bytes)"
    return repr(value)


def _hashedrekord_v001(
    spec: dict[str, Any], bundle: ParsedBundle, signer: _SignerMatch, artifact_sha256: bytes
) -> None:
    data_hash = _field(_field(spec, "data", dict), "hash", dict)
    _expect("hash algorithm", "sha256", data_hash.get("algorithm"))
    _expect("artifact digest", artifact_sha256.hex(), str(_field(data_hash, "value", str)).lower())
    signature = _field(spec, "signature", dict)
    _expect("signature", bundle.signature, _b64(_field(signature, "content", str), "signature"))
    key = _field(_field(signature, "publicKey", dict), "content", str)
    signer.check_pem(_b64(key, "publicKey"), "hashedrekord publicKey")


def _check_payload_hash(logged: dict[str, Any], content: DsseContent) -> None:
    """Rekor v1 DSSE-like types log {algorithm: sha256, value: hex} of the payload."""
    _expect("payload hash algorithm", "sha256", logged.get("algorithm"))
    _expect(
        "payload hash",
        hashlib.sha256(content.payload).hexdigest(),
        _field(logged, "value", str),
    )


def _dsse_v001(
    spec: dict[str, Any], bundle: ParsedBundle, signer: _SignerMatch, _artifact: bytes
) -> None:
    assert isinstance(bundle.content, DsseContent)
    _check_payload_hash(_field(spec, "payloadHash", dict), bundle.content)
    # envelopeHash covers non-canonical JSON we do not have byte for byte: it must exist,
    # but only the payload hash and the signatures can be compared.
    _field(spec, "envelopeHash", dict)
    signatures = _field(spec, "signatures", list)
    _expect("signature count", 1, len(signatures))
    logged = signatures[0] if isinstance(signatures[0], dict) else {}
    _expect("signature", bundle.signature, _b64(_field(logged, "signature", str), "signature"))
    signer.check_pem(_b64(_field(logged, "verifier", str), "verifier"), "dsse verifier")


def _intoto_v002(
    spec: dict[str, Any], bundle: ParsedBundle, signer: _SignerMatch, _artifact: bytes
) -> None:
    assert isinstance(bundle.content, DsseContent)
    content = _field(spec, "content", dict)
    _check_payload_hash(_field(content, "payloadHash", dict), bundle.content)
    envelope = _field(content, "envelope", dict)
    _expect("payload type", bundle.content.payload_type, envelope.get("payloadType"))
    signatures = _field(envelope, "signatures", list)
    _expect("signature count", 1, len(signatures))
    logged = signatures[0] if isinstance(signatures[0], dict) else {}
    # Rekor's intoto type stores the envelope's base64 strings base64-encoded once more.
    sig_text = _b64(_field(logged, "sig", str), "sig")
    _expect("signature", bundle.signature, _b64(sig_text.decode("ascii", "replace"), "sig"))
    signer.check_pem(_b64(_field(logged, "publicKey", str), "publicKey"), "intoto publicKey")


def _v002_entry(spec: dict[str, Any], field: str) -> Any:
    # Imported here: only Rekor v2 entries need these models, and `verify`'s start-up is
    # mostly imports (tests/test_import_budgets.py).
    from sigstore_models.rekor.v2.entry import Spec  # noqa: PLC0415

    try:
        parsed = Spec.from_json(json.dumps(spec))
    except ValidationError as exc:
        raise EvidenceError(
            f"log entry body is malformed: {exc.errors()[0]['msg']}", check=_CHECK
        ) from exc
    value = getattr(parsed, field)
    if value is None:
        raise EvidenceError(f"log entry body: expected {field}", check=_CHECK)
    return value


def _check_v2_verifier(verifier: Any, signer: _SignerMatch) -> None:
    if verifier.x509_certificate is not None:
        if not signer.is_certificate:
            raise VerificationFailure(
                "logged verifier is a certificate, expected a key", check=_CHECK
            )
        signer.check_der(verifier.x509_certificate.raw_bytes, "hashedrekord verifier")
    else:
        if signer.is_certificate:
            raise VerificationFailure(
                "logged verifier is a key, expected a certificate", check=_CHECK
            )
        signer.check_der(verifier.public_key.raw_bytes, "hashedrekord verifier")


def _hashedrekord_v002(
    spec: dict[str, Any], bundle: ParsedBundle, signer: _SignerMatch, artifact_sha256: bytes
) -> None:
    entry = _v002_entry(spec, "hashed_rekord_v002")
    _expect("hash algorithm", "SHA2_256", entry.data.algorithm.value)
    if isinstance(bundle.content, DsseContent):
        # Rekor v2 logs a DSSE envelope as the digest of its PAE (rekor-v2 spec §6.1.4).
        signed = hashlib.sha256(pae(bundle.content.payload_type, bundle.content.payload))
        _expect("DSSE PAE digest", signed.digest(), entry.data.digest)
    else:
        _expect("artifact digest", artifact_sha256, entry.data.digest)
    _expect("signature", bundle.signature, entry.signature.content)
    _check_v2_verifier(entry.signature.verifier, signer)


def _dsse_v002(
    spec: dict[str, Any], bundle: ParsedBundle, signer: _SignerMatch, _artifact: bytes
) -> None:
    assert isinstance(bundle.content, DsseContent)
    entry = _v002_entry(spec, "dsse_v002")
    _expect("payload hash algorithm", "SHA2_256", entry.payload_hash.algorithm.value)
    _expect(
        "payload hash", hashlib.sha256(bundle.content.payload).digest(), entry.payload_hash.digest
    )
    _expect("signature count", 1, len(entry.signatures))
    _expect("signature", bundle.signature, entry.signatures[0].content)
    _check_v2_verifier(entry.signatures[0].verifier, signer)


_CHECKERS = {
    ("hashedrekord/0.0.1", False): _hashedrekord_v001,
    ("hashedrekord/0.0.2", False): _hashedrekord_v002,
    ("hashedrekord/0.0.2", True): _hashedrekord_v002,
    ("dsse/0.0.1", True): _dsse_v001,
    ("dsse/0.0.2", True): _dsse_v002,
    ("intoto/0.0.2", True): _intoto_v002,
}
