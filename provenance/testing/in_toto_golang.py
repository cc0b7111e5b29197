"""in-toto layouts and links exactly as in-toto-golang writes them, from derived keys. TEST-ONLY.

The shapes follow in-toto-golang's `in_toto/model.go` and `keylib.go` (read at upstream,
not copied): `json.MarshalIndent(metablock, "", "  ")` with no final newline; struct fields
in declaration order and map keys sorted; every key as `{keyid, keyid_hash_algorithms
["sha256","sha512"], keytype, keyval{private "", public}, scheme}` with RSA/ECDSA public keys
as PEM without the final newline and Ed25519 as hex, the key ID hashed over that minus
`keyid` and `private`; every signature `{keyid, sig (hex), cert}` with `cert` the signer's PEM
certificate or `""`; a step's `cert_constraints`, and the layout's `rootcas` and
`intermediatecas`, only when there are some (`omitempty`), CAs as key ID -> key with
`keyval.certificate`, as `in-toto key layout CERT` prints it. ECDSA signs ASN.1 DER (RFC 6979
nonces here), Ed25519 raw.

`FunctionaryPki` is a root and an intermediate CA and the leaves `in-toto run -c CERT` signs
with (SPIFFE URI, common name, organization, keyUsage digitalSignature), all derived from a
seed with fixed dates, so a seed gives the same bytes every time.

Nothing under `provenance.testing` may be imported by the verification pipeline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from provenance.evidence.canonical_json import encode_canonical
from provenance.testing.in_toto import InTotoSigner, derive_signer
from provenance.testing.keys import derive_ec_key, derive_serial

__all__ = [
    "CA_NOT_AFTER",
    "CA_NOT_BEFORE",
    "FunctionaryPki",
    "GolangSigner",
    "ca_entry",
    "golang_constraint",
    "golang_dump",
    "golang_inspection",
    "golang_key",
    "golang_keyid",
    "golang_layout",
    "golang_link",
    "golang_metablock",
    "golang_step",
]

KEYID_HASH_ALGORITHMS = ["sha256", "sha512"]
CA_NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)
CA_NOT_AFTER = datetime(2036, 1, 1, tzinfo=UTC)


def _public_value(private: Any) -> str:
    public = private.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return raw.hex()
    pem: bytes = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode().strip()  # Go: strings.TrimSpace(pem.EncodeToMemory(...))


def golang_keyid(key: Mapping[str, Any]) -> str:
    """The key ID in-toto-golang computes: over keytype, scheme, keyid_hash_algorithms and
    keyval.public (its `generateKeyID`)."""
    hashed = {
        "keytype": key["keytype"],
        "scheme": key["scheme"],
        "keyid_hash_algorithms": key["keyid_hash_algorithms"],
        "keyval": {"public": key["keyval"]["public"]},
    }
    return hashlib.sha256(encode_canonical(hashed)).hexdigest()


def _keytype(scheme: str) -> str:
    return {"ed25519": "ed25519", "rsassa-pss-sha256": "rsa"}.get(scheme, "ecdsa")


def golang_key(signer: InTotoSigner) -> dict[str, Any]:
    """A public key as a layout's `keys` holds it."""
    key: dict[str, Any] = {
        "keyid": "",
        "keyid_hash_algorithms": list(KEYID_HASH_ALGORITHMS),
        "keytype": _keytype(signer.scheme),
        "keyval": {"private": "", "public": _public_value(signer.private)},
        "scheme": signer.scheme,
    }
    key["keyid"] = golang_keyid(key)
    return key


@dataclass(frozen=True)
class GolangSigner:
    """A functionary or layout owner; with a certificate when it signs as `in-toto run -c`."""

    signer: InTotoSigner
    certificate: x509.Certificate | None = None

    @property
    def key(self) -> dict[str, Any]:
        return golang_key(self.signer)

    @property
    def keyid(self) -> str:
        keyid: str = self.key["keyid"]
        return keyid

    @property
    def public_pem(self) -> bytes:
        pem: bytes = self.signer.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem

    def signature(self, signed: Mapping[str, Any]) -> dict[str, str]:
        cert = (
            self.certificate.public_bytes(serialization.Encoding.PEM).decode()
            if self.certificate is not None
            else ""
        )
        sig = self.signer.sign(encode_canonical(signed)).hex()
        return {"keyid": self.keyid, "sig": sig, "cert": cert}


def golang_constraint(
    *,
    common_name: str = "",
    dns_names: Sequence[str] = (),
    emails: Sequence[str] = (),
    organizations: Sequence[str] = (),
    roots: Sequence[str] = (),
    uris: Sequence[str] = (),
) -> dict[str, Any]:
    return {
        "common_name": common_name,
        "dns_names": list(dns_names),
        "emails": list(emails),
        "organizations": list(organizations),
        "roots": list(roots),
        "uris": list(uris),
    }


def golang_step(
    name: str,
    pubkeys: Sequence[str],
    *,
    threshold: int = 1,
    command: Sequence[str] = (),
    materials: Sequence[Sequence[str]] = (),
    products: Sequence[Sequence[str]] = (),
    cert_constraints: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    step: dict[str, Any] = {"_type": "step", "pubkeys": list(pubkeys)}
    if cert_constraints:  # `cert_constraints,omitempty`
        step["cert_constraints"] = [dict(c) for c in cert_constraints]
    step |= {
        "expected_command": list(command),
        "threshold": threshold,
        "name": name,
        "expected_materials": [list(rule) for rule in materials],
        "expected_products": [list(rule) for rule in products],
    }
    return step


def golang_inspection(
    name: str,
    run: Sequence[str],
    *,
    materials: Sequence[Sequence[str]] = (),
    products: Sequence[Sequence[str]] = (),
) -> dict[str, Any]:
    return {
        "_type": "inspection",
        "run": list(run),
        "name": name,
        "expected_materials": [list(rule) for rule in materials],
        "expected_products": [list(rule) for rule in products],
    }


def ca_entry(certificate: x509.Certificate) -> tuple[str, dict[str, Any]]:
    """A `rootcas`/`intermediatecas` entry as `in-toto key layout CERT` prints it."""
    public = certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)  # FunctionaryPki's CAs
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key: dict[str, Any] = {
        "keyid": "",
        "keyid_hash_algorithms": list(KEYID_HASH_ALGORITHMS),
        "keytype": "ecdsa",
        "keyval": {
            "public": pem.decode().strip(),
            "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
        },
        "scheme": "ecdsa-sha2-nistp256",
    }
    key["keyid"] = golang_keyid(key)
    return key["keyid"], key


def _sorted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {name: mapping[name] for name in sorted(mapping)}  # Go sorts map keys


def golang_layout(
    *,
    steps: Sequence[Mapping[str, Any]],
    keys: Sequence[Mapping[str, Any]],
    inspect: Sequence[Mapping[str, Any]] = (),
    root_cas: Sequence[x509.Certificate] = (),
    intermediate_cas: Sequence[x509.Certificate] = (),
    expires: str = "2036-01-01T00:00:00Z",
    readme: str = "",
) -> dict[str, Any]:
    """The `signed` part of a layout, fields in in-toto-golang's `Layout` order."""
    layout: dict[str, Any] = {
        "_type": "layout",
        "steps": [dict(step) for step in steps],
        "inspect": [dict(item) for item in inspect],
        "keys": _sorted({key["keyid"]: dict(key) for key in keys}),
    }
    if root_cas:  # `rootcas,omitempty`
        layout["rootcas"] = _sorted(dict(ca_entry(c) for c in root_cas))
    if intermediate_cas:  # `intermediatecas,omitempty`
        layout["intermediatecas"] = _sorted(dict(ca_entry(c) for c in intermediate_cas))
    return layout | {"expires": expires, "readme": readme}


def _artifacts(files: Mapping[str, bytes] | None) -> dict[str, Any]:
    return _sorted(
        {path: {"sha256": hashlib.sha256(data).hexdigest()} for path, data in (files or {}).items()}
    )


def golang_link(
    name: str,
    *,
    materials: Mapping[str, bytes] | None = None,
    products: Mapping[str, bytes] | None = None,
    command: Sequence[str] = (),
    byproducts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The `signed` part of a link, fields in in-toto-golang's `Link` order."""
    return {
        "_type": "link",
        "name": name,
        "materials": _artifacts(materials),
        "products": _artifacts(products),
        "byproducts": _sorted(byproducts or {}),
        "command": list(command),
        "environment": {},
    }


def golang_metablock(signed: Mapping[str, Any], signers: Sequence[GolangSigner]) -> dict[str, Any]:
    return {"signed": dict(signed), "signatures": [s.signature(signed) for s in signers]}


def golang_dump(document: Mapping[str, Any]) -> bytes:
    """`json.MarshalIndent(document, "", "  ")` as `Metablock.Dump` writes it: no final
    newline. (Go would also escape <, > and & in strings; none of ours has them.)"""
    return json.dumps(document, indent=2, ensure_ascii=False).encode()


# -- functionary certificates -----------------------------------------------------------------


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class _Ca:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


def _certificate(
    seed: str,
    label: str,
    subject: x509.Name,
    *,
    key: ec.EllipticCurvePrivateKey,
    issuer: _Ca | None,
    not_before: datetime,
    not_after: datetime,
    ca: bool,
    uris: Sequence[str],
) -> x509.Certificate:
    issuer_key = issuer.key if issuer is not None else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(derive_serial(seed, "in-toto-golang", label))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=ca)
        .add_extension(_key_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if uris:  # the template's `subjectAltName=critical,URI:spiffe://...` on leaves
        san = x509.SubjectAlternativeName([x509.UniformResourceIdentifier(u) for u in uris])
        builder = builder.add_extension(san, critical=not ca)
    return builder.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)


@dataclass(frozen=True)
class FunctionaryPki:
    """A trust domain's root and intermediate CA (in-toto-golang's Makefile PKI, ECDSA)."""

    seed: str
    domain: str
    root: _Ca
    intermediate: _Ca

    @classmethod
    def create(cls, seed: str, domain: str = "example.com") -> FunctionaryPki:
        organization = domain.split(".", 1)[0]
        root_key = derive_ec_key(seed, "in-toto-golang", "root")
        root = _certificate(
            seed, "root", _name(f"root.{domain}", organization), key=root_key, issuer=None,
            not_before=CA_NOT_BEFORE, not_after=CA_NOT_AFTER, ca=True, uris=["spiffe://root"],
        )  # fmt: skip
        intermediate_key = derive_ec_key(seed, "in-toto-golang", "intermediate")
        intermediate = _certificate(
            seed, "intermediate", _name(domain, organization), key=intermediate_key,
            issuer=_Ca(root_key, root), not_before=CA_NOT_BEFORE, not_after=CA_NOT_AFTER,
            ca=True, uris=[f"spiffe://{domain}"],
        )  # fmt: skip
        return cls(seed, domain, _Ca(root_key, root), _Ca(intermediate_key, intermediate))

    @property
    def organization(self) -> str:
        return self.domain.split(".", 1)[0]

    def functionary(
        self,
        step: str,
        *,
        not_before: datetime = CA_NOT_BEFORE,
        not_after: datetime = CA_NOT_AFTER,
        common_name: str | None = None,
        uri: str | None = None,
    ) -> GolangSigner:
        """A leaf for `step` (CN `<step>.<domain>`, URI `spiffe://<domain>/<step>`), signing
        with an ECDSA P-256 key derived from the seed and the step."""
        signer = derive_signer(self.seed, "in-toto-golang functionary", step, kind="p256")
        assert isinstance(signer.private, ec.EllipticCurvePrivateKey)
        label = f"{step}/{not_before.isoformat()}/{not_after.isoformat()}/{common_name}/{uri}"
        certificate = _certificate(
            self.seed, label, _name(common_name or f"{step}.{self.domain}", self.organization),
            key=signer.private, issuer=self.intermediate, not_before=not_before,
            not_after=not_after, ca=False, uris=[uri or f"spiffe://{self.domain}/{step}"],
        )  # fmt: skip
        return GolangSigner(signer, certificate)
