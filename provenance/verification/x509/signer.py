"""A vendor X.509 signer rule: pinned roots, optional intermediates, required subject and EKUs.

Policy form (`vendors.<v>.signers: - x509: {...}`), paths relative to the policy file:

    roots: [certs/acme-root.pem]            # required, at least one; PEM (one or more) or DER
    intermediates: [certs/acme-ca.pem]      # optional: CAs the signature may omit
    subject: {CN: "ACME Code Signing", O: "ACME"}   # optional; each attribute exact
    eku: [codeSigning]                      # optional; names or dotted OIDs; default codeSigning
    tsa_roots: [certs/acme-tsa-root.pem]    # optional: whose RFC 3161 timestamps count
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from provenance.errors import InputError
from provenance.evidence.certificates import MalformedCertificate, load_der_certificate
from provenance.inputs.files import read_bounded

__all__ = [
    "CODE_SIGNING",
    "EKU_NAMES",
    "MAX_CERTIFICATE_FILE_BYTES",
    "SUBJECT_ATTRIBUTES",
    "X509Signer",
    "load_certificates",
    "load_x509_signer",
]

MAX_CERTIFICATE_FILE_BYTES = 256 * 1024
CODE_SIGNING = ExtendedKeyUsageOID.CODE_SIGNING

EKU_NAMES: Mapping[str, ObjectIdentifier] = {
    "codeSigning": ExtendedKeyUsageOID.CODE_SIGNING,
    "timeStamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "emailProtection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "documentSigning": ObjectIdentifier("1.3.6.1.5.5.7.3.36"),
}
SUBJECT_ATTRIBUTES: Mapping[str, ObjectIdentifier] = {
    "CN": NameOID.COMMON_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "C": NameOID.COUNTRY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "L": NameOID.LOCALITY_NAME,
    "serialNumber": NameOID.SERIAL_NUMBER,
}
_SPEC_KEYS = frozenset({"roots", "intermediates", "subject", "eku", "tsa_roots"})


@dataclass(frozen=True)
class X509Signer:
    """Who may sign: a leaf that chains to one of `roots` and carries `subject` and `ekus`."""

    roots: tuple[x509.Certificate, ...]
    source: str  # for reports: where the rule came from
    intermediates: tuple[x509.Certificate, ...] = ()
    # (attribute short name, exact value), e.g. (("CN", "ACME Code Signing"), ("O", "ACME"))
    subject: tuple[tuple[str, str], ...] = ()
    ekus: tuple[ObjectIdentifier, ...] = (CODE_SIGNING,)
    tsa_roots: tuple[x509.Certificate, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.roots:
            raise ValueError("an X.509 signer rule needs at least one pinned root")
        unknown = [name for name, _ in self.subject if name not in SUBJECT_ATTRIBUTES]
        if unknown:
            raise ValueError(f"unknown subject attributes {unknown}")

    def describe(self) -> str:
        subject = ", ".join(f"{k}={v}" for k, v in self.subject) or "any subject"
        return f"x509 {self.source} ({subject})"

    def subject_mismatch(self, certificate: x509.Certificate) -> str | None:
        """None if every required attribute is present with exactly the value, else why not."""
        for name, expected in self.subject:
            got = [
                attribute.value
                for attribute in certificate.subject.get_attributes_for_oid(
                    SUBJECT_ATTRIBUTES[name]
                )
            ]
            if got != [expected]:
                shown = ", ".join(repr(v) for v in got) or "none"
                return f"subject {name}: expected {expected!r}, got {shown}"
        return None


def load_certificates(path: Path, what: str) -> tuple[x509.Certificate, ...]:
    """Every certificate in a PEM file, or the one in a DER file; `InputError` otherwise."""
    data = read_bounded(path, MAX_CERTIFICATE_FILE_BYTES, what)
    if data is None:
        raise InputError(f"{path}: larger than {MAX_CERTIFICATE_FILE_BYTES} bytes; not {what}")
    try:
        if b"-----BEGIN" in data:
            found = x509.load_pem_x509_certificates(data)
            certificates = tuple(load_der_certificate(c.public_bytes(Encoding.DER)) for c in found)
        else:
            certificates = (load_der_certificate(data),)
        for certificate in certificates:
            _ = certificate.public_key()
    except (ValueError, MalformedCertificate, UnsupportedAlgorithm) as exc:
        raise InputError(
            f"{path}: expected PEM or DER X.509 {what}, got data that does not parse as "
            "certificates (or holds a key of an unsupported type)"
        ) from exc
    return certificates


def _paths(spec: Mapping[str, Any], key: str, base_dir: Path) -> list[Path]:
    value = spec.get(key, [])
    if isinstance(value, str) or not isinstance(value, list):
        raise InputError(f"x509 signer: {key}: expected a list of file names, got {value!r}")
    if not all(isinstance(item, str) and item for item in value):
        raise InputError(f"x509 signer: {key}: expected non-empty file names, got {value!r}")
    return [base_dir / item for item in value]


def load_x509_signer(spec: Mapping[str, Any], base_dir: Path) -> X509Signer:
    """Build a rule from its policy mapping; certificate files are relative to `base_dir`."""
    unknown = sorted(set(spec) - _SPEC_KEYS)
    if unknown:
        raise InputError(
            f"x509 signer: unknown keys {unknown}; expected some of {sorted(_SPEC_KEYS)}"
        )
    root_paths = _paths(spec, "roots", base_dir)
    if not root_paths:
        raise InputError("x509 signer: roots: expected at least one pinned root certificate")
    roots = tuple(c for p in root_paths for c in load_certificates(p, "root certificate"))
    intermediates = tuple(
        c for p in _paths(spec, "intermediates", base_dir) for c in load_certificates(p, "CA")
    )
    tsa_roots = tuple(
        c for p in _paths(spec, "tsa_roots", base_dir) for c in load_certificates(p, "TSA root")
    )
    subject_spec = spec.get("subject", {})
    if not isinstance(subject_spec, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in subject_spec.items()
    ):
        raise InputError(
            f"x509 signer: subject: expected a mapping of attribute to text, got {subject_spec!r}"
        )
    bad = sorted(set(subject_spec) - set(SUBJECT_ATTRIBUTES))
    if bad:
        raise InputError(
            f"x509 signer: subject: unknown attributes {bad}; expected some of "
            f"{sorted(SUBJECT_ATTRIBUTES)}"
        )
    eku_spec = spec.get("eku", ["codeSigning"])
    if not isinstance(eku_spec, list) or not eku_spec:
        raise InputError(f"x509 signer: eku: expected a non-empty list, got {eku_spec!r}")
    ekus = []
    for item in eku_spec:
        if isinstance(item, str) and item in EKU_NAMES:
            ekus.append(EKU_NAMES[item])
        elif isinstance(item, str) and _is_dotted_oid(item):
            ekus.append(ObjectIdentifier(item))
        else:
            raise InputError(
                f"x509 signer: eku: expected one of {sorted(EKU_NAMES)} or a dotted OID, "
                f"got {item!r}"
            )
    return X509Signer(
        roots=roots,
        source=", ".join(str(p) for p in root_paths),
        intermediates=intermediates,
        subject=tuple(sorted(subject_spec.items())),
        ekus=tuple(ekus),
        tsa_roots=tsa_roots,
    )


def _is_dotted_oid(text: str) -> bool:
    parts = text.split(".")
    return len(parts) >= 2 and all(p.isdigit() and p.isascii() for p in parts)
