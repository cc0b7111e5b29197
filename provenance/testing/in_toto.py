"""Deterministic in-toto layouts and links for tests and fixtures. TEST-ONLY.

Keys derive from a seed (Ed25519, ECDSA P-256 and P-384; ECDSA signs with RFC 6979 nonces), so
a given seed and arguments always produce the same bytes. RSA keys cannot be derived this way
with `cryptography`; `InTotoSigner.from_pem` wraps an existing RSA key (its PSS signatures are
randomized, as RSA-PSS is). Builders return plain dicts in in-toto v0.9 shape, so tests can add
unknown fields or break them on purpose before signing.

Nothing under `provenance.testing` may be imported by the verification pipeline.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from provenance.evidence.canonical_json import encode_canonical
from provenance.evidence.in_toto import IN_TOTO_PAYLOAD_TYPE
from provenance.testing.keys import derive_ec_key
from provenance.verification.dsse import pae
from provenance.verification.in_toto_keys import InTotoKey, Scheme, key_from_public

__all__ = [
    "DEFAULT_EXPIRES",
    "InTotoSigner",
    "SignerKind",
    "derive_signer",
    "dsse_envelope",
    "dump",
    "hashes_of",
    "inspection_dict",
    "layout_dict",
    "link_dict",
    "link_filename",
    "metablock",
    "step_dict",
]

DEFAULT_EXPIRES = "2030-01-01T00:00:00Z"
SignerKind = Literal["ed25519", "p256", "p384"]
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

# Order n of the P-384 group (SEC 2, 2.5.1); a private scalar must lie in [1, n-1].
_P384_ORDER = int(
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
    16,
)
_SCHEME_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "rsassa-pss-sha256": hashes.SHA256,
    "rsa-pkcs1v15-sha256": hashes.SHA256,
    "rsa-pkcs1v15-sha384": hashes.SHA384,
    "rsa-pkcs1v15-sha512": hashes.SHA512,
    "ecdsa-sha2-nistp256": hashes.SHA256,
    "ecdsa-sha2-nistp384": hashes.SHA384,
}


def _material(seed: str, *labels: str) -> bytes:
    # NUL-separated so ("ab", "c") and ("a", "bc") never derive the same key.
    return hashlib.sha512("\x00".join(("provenance-test-in-toto", seed, *labels)).encode()).digest()


@dataclass(frozen=True)
class InTotoSigner:
    """A functionary or layout owner: a private key and the scheme it signs with."""

    private: PrivateKey
    scheme: Scheme
    name: str = "test"

    @classmethod
    def from_pem(cls, data: bytes, name: str, scheme: Scheme | None = None) -> InTotoSigner:
        """An unencrypted PEM private key (e.g. the in-toto demo's RSA keys)."""
        private = serialization.load_pem_private_key(data, password=None)
        if not isinstance(private, PrivateKey):
            raise TypeError(f"unsupported private key {type(private).__name__}")
        public = key_from_public(private.public_key(), name, scheme=scheme)
        return cls(private, public.scheme, name)

    @property
    def key(self) -> InTotoKey:
        return key_from_public(self.private.public_key(), self.name, scheme=self.scheme)

    @property
    def keyid(self) -> str:
        return self.key.keyid

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.private, ed25519.Ed25519PrivateKey):
            return self.private.sign(data)
        algorithm = _SCHEME_HASH[self.scheme]()
        if isinstance(self.private, ec.EllipticCurvePrivateKey):
            return self.private.sign(data, ec.ECDSA(algorithm, deterministic_signing=True))
        if self.scheme == "rsassa-pss-sha256":
            scheme = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.DIGEST_LENGTH)
            return self.private.sign(data, scheme, algorithm)
        return self.private.sign(data, padding.PKCS1v15(), algorithm)


def derive_signer(seed: str, *labels: str, kind: SignerKind = "ed25519") -> InTotoSigner:
    """A signer whose key depends only on `seed`, `labels` and `kind`."""
    name = "/".join(labels) or seed
    if kind == "ed25519":
        private: PrivateKey = ed25519.Ed25519PrivateKey.from_private_bytes(
            _material(seed, "ed25519", *labels)[:32]
        )
        return InTotoSigner(private, "ed25519", name)
    if kind == "p256":
        return InTotoSigner(derive_ec_key(seed, "in-toto", *labels), "ecdsa-sha2-nistp256", name)
    scalar = int.from_bytes(_material(seed, "p384", *labels), "big") % (_P384_ORDER - 1) + 1
    return InTotoSigner(ec.derive_private_key(scalar, ec.SECP384R1()), "ecdsa-sha2-nistp384", name)


def hashes_of(content: bytes) -> dict[str, str]:
    return {"sha256": hashlib.sha256(content).hexdigest()}


def link_filename(step: str, keyid: str) -> str:
    return f"{step}.{keyid[:8]}.link"


def step_dict(
    name: str,
    functionaries: Sequence[InTotoKey],
    *,
    threshold: int = 1,
    materials: Sequence[Sequence[str]] = (),
    products: Sequence[Sequence[str]] = (),
    command: Sequence[str] = (),
) -> dict[str, Any]:
    return {
        "_type": "step",
        "name": name,
        "pubkeys": [key.keyid for key in functionaries],
        "threshold": threshold,
        "expected_command": list(command),
        "expected_materials": [list(rule) for rule in materials],
        "expected_products": [list(rule) for rule in products],
    }


def inspection_dict(
    name: str,
    run: Sequence[str],
    *,
    materials: Sequence[Sequence[str]] = (),
    products: Sequence[Sequence[str]] = (),
) -> dict[str, Any]:
    return {
        "_type": "inspection",
        "name": name,
        "run": list(run),
        "expected_materials": [list(rule) for rule in materials],
        "expected_products": [list(rule) for rule in products],
    }


def layout_dict(
    *,
    keys: Sequence[InTotoKey],
    steps: Sequence[Mapping[str, Any]],
    inspect: Sequence[Mapping[str, Any]] = (),
    expires: str = DEFAULT_EXPIRES,
    readme: str = "",
) -> dict[str, Any]:
    """The `signed` part of a layout; `keys` are the functionary keys the steps name."""
    return {
        "_type": "layout",
        "expires": expires,
        "keys": {key.keyid: key.to_dict() for key in keys},
        "steps": [dict(step) for step in steps],
        "inspect": [dict(item) for item in inspect],
        "readme": readme,
    }


def link_dict(
    name: str,
    *,
    materials: Mapping[str, bytes] | None = None,
    products: Mapping[str, bytes] | None = None,
    command: Sequence[str] = (),
) -> dict[str, Any]:
    """The `signed` part of a link; artifacts are given by content and recorded by SHA-256."""
    return {
        "_type": "link",
        "name": name,
        "command": list(command),
        "materials": {path: hashes_of(data) for path, data in (materials or {}).items()},
        "products": {path: hashes_of(data) for path, data in (products or {}).items()},
        "byproducts": {},
        "environment": {},
    }


def metablock(signed: Mapping[str, Any], signers: Sequence[InTotoSigner]) -> dict[str, Any]:
    """A classic metablock: each signer signs the canonical JSON of `signed` (hex signature)."""
    canonical = encode_canonical(signed)
    return {
        "signed": dict(signed),
        "signatures": [{"keyid": s.keyid, "sig": s.sign(canonical).hex()} for s in signers],
    }


def dsse_envelope(signed: Mapping[str, Any], signers: Sequence[InTotoSigner]) -> dict[str, Any]:
    """A DSSE envelope whose payload is `signed` as compact, key-sorted JSON.

    Not OLPC canonical JSON: that writes control characters (the newlines of a PEM key) raw,
    which is not valid JSON. DSSE signs the payload bytes, so no canonical form is needed.
    """
    payload = json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
    signature_input = pae(IN_TOTO_PAYLOAD_TYPE, payload)
    return {
        "payloadType": IN_TOTO_PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [
            {"keyid": s.keyid, "sig": base64.b64encode(s.sign(signature_input)).decode()}
            for s in signers
        ],
    }


def dump(document: Mapping[str, Any]) -> bytes:
    """The bytes written to disk: indented, keys in insertion order, final newline."""
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()
