"""in-toto-golang's X.509 functionaries, as its layouts and links write them, parsed strictly.

in-toto-golang lets a step accept links signed by any key whose certificate chains to the
layout's CAs and meets the step's constraints:

- a metablock signature is `{"keyid", "sig", "cert"}`; `cert` is the signer's PEM certificate,
  or `""` (older releases always write it; newer ones omit it when empty);
- the layout's `rootcas` and `intermediatecas` map a key ID to a key object whose
  `keyval.certificate` is the CA's PEM certificate (`keyval.public` may be left empty); an
  early release wrote `[]` for "none";
- a step's `cert_constraints` list objects of `common_name`, `dns_names`, `emails`,
  `organizations`, `roots` (root CA key IDs) and `uris`; Go writes a nil list as `null`.

Nothing here is trusted: verification checks the chain, the constraints and the signature.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from provenance.errors import EvidenceError
from provenance.evidence.certificates import MalformedCertificate, load_der_certificate

__all__ = [
    "MAX_CAS",
    "CertConstraint",
    "LayoutCa",
    "parse_cas",
    "parse_cert_constraints",
    "parse_signature_certificate",
]

# A layout names its PKI's roots and issuing CAs: a handful, never hundreds.
MAX_CAS = 64
MAX_CONSTRAINTS = 64
MAX_CONSTRAINT_VALUES = 256
# A PEM certificate is 1-3 KB; a chain of them pasted into one field is refused anyway.
MAX_PEM_CHARS = 32 * 1024

_CONSTRAINT_LISTS = ("dns_names", "emails", "organizations", "roots", "uris")
_CONSTRAINT_FIELDS = frozenset({"common_name", *_CONSTRAINT_LISTS})
_KEYID = re.compile(r"[0-9a-f]{64}")
_PEM_CERTIFICATE = re.compile(
    r"\s*-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*"
)


@dataclass(frozen=True)
class CertConstraint:
    """One of a step's `cert_constraints`, as in-toto-golang reads it.

    Each attribute must equal the certificate's as a set; `["*"]` (or `"*"` for the common
    name) allows any value, and an empty or absent attribute allows none.
    """

    common_name: str
    dns_names: tuple[str, ...]
    emails: tuple[str, ...]
    organizations: tuple[str, ...]
    roots: tuple[str, ...]  # key IDs of the layout's rootcas
    uris: tuple[str, ...]


@dataclass(frozen=True)
class LayoutCa:
    """A `rootcas` or `intermediatecas` entry: its key ID, certificate and key fields as
    received (the key ID is computed over them with the certificate's key)."""

    keyid: str
    certificate: x509.Certificate
    fields: Mapping[str, Any]


def _fail(source: str, problem: str) -> EvidenceError:
    return EvidenceError(f"{source}: {problem}", check="in-toto")


def _pem_certificate(value: object, where: str, source: str) -> x509.Certificate:
    if not isinstance(value, str) or len(value) > MAX_PEM_CHARS:
        raise _fail(source, f"{where}: expected a PEM certificate of at most {MAX_PEM_CHARS} chars")
    if not _PEM_CERTIFICATE.fullmatch(value):
        raise _fail(source, f"{where}: expected exactly one PEM CERTIFICATE block")
    try:
        # Loaded from PEM, then parsed in full from DER so a malformed field fails here.
        der = x509.load_pem_x509_certificate(value.encode()).public_bytes(
            serialization.Encoding.DER
        )
        return load_der_certificate(der)
    except (ValueError, MalformedCertificate) as exc:
        raise _fail(source, f"{where}: not a well-formed X.509 certificate ({exc})") from exc


def parse_signature_certificate(value: object, where: str, source: str) -> x509.Certificate | None:
    """A metablock signature's `cert`: None for `""` (no certificate)."""
    if value == "":
        return None
    return _pem_certificate(value, f"{where}.cert", source)


def _strings(value: object, where: str, source: str) -> tuple[str, ...]:
    if value is None:  # Go's nil slice
        return ()
    if (
        not isinstance(value, list)
        or len(value) > MAX_CONSTRAINT_VALUES
        or not all(isinstance(item, str) for item in value)
    ):
        raise _fail(source, f"{where}: expected a list of at most {MAX_CONSTRAINT_VALUES} strings")
    return tuple(value)


def parse_cert_constraints(value: object, where: str, source: str) -> tuple[CertConstraint, ...]:
    """A step's `cert_constraints` (absent or null: none)."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_CONSTRAINTS:
        raise _fail(source, f"{where}: expected a list of at most {MAX_CONSTRAINTS} constraints")
    constraints = []
    for index, raw in enumerate(value):
        here = f"{where}[{index}]"
        if not isinstance(raw, dict) or set(raw) - _CONSTRAINT_FIELDS:
            got = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
            raise _fail(
                source, f"{here}: expected an object of {', '.join(sorted(_CONSTRAINT_FIELDS))}, "
                f"got {got}",
            )  # fmt: skip
        common_name = raw.get("common_name", "")
        if not isinstance(common_name, str):
            raise _fail(source, f"{here}.common_name: expected a string")
        lists = {n: _strings(raw.get(n), f"{here}.{n}", source) for n in _CONSTRAINT_LISTS}
        constraints.append(CertConstraint(common_name=common_name, **lists))
    return tuple(constraints)


def _ca(keyid: object, raw: object, where: str, source: str) -> LayoutCa:
    if not isinstance(keyid, str) or not _KEYID.fullmatch(keyid):
        raise _fail(source, f"{where}: expected key IDs as 64 lowercase hex digits, got {keyid!r}")
    here = f"{where}[{keyid[:8]}]"
    keyval = raw.get("keyval") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not isinstance(keyval, dict):
        raise _fail(source, f"{here}: expected a key object with keyval.certificate")
    if keyval.get("private"):
        raise _fail(source, f"{here}: holds a private key")
    certificate = _pem_certificate(keyval.get("certificate"), f"{here}.keyval.certificate", source)
    public = keyval.get("public", "")
    if public:
        try:
            declared = serialization.load_pem_public_key(str(public).encode())
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise _fail(source, f"{here}: keyval.public is not a PEM public key ({exc})") from exc
        if declared != certificate.public_key():
            raise _fail(source, f"{here}: keyval.public is not the certificate's key")
    return LayoutCa(keyid=keyid, certificate=certificate, fields=raw)


def parse_cas(value: object, where: str, source: str) -> tuple[LayoutCa, ...]:
    """A layout's `rootcas` or `intermediatecas` (absent, null, `{}` or `[]`: none)."""
    if value is None or value in ([], {}):
        return ()
    if isinstance(value, list):
        raise _fail(
            source,
            f"{where}: a list is in-toto-golang's pre-release shape; expected an object of key "
            "ID -> key with keyval.certificate",
        )
    if not isinstance(value, dict):
        raise _fail(source, f"{where}: expected an object of key ID -> key")
    if len(value) > MAX_CAS:
        raise _fail(source, f"{where}: expected at most {MAX_CAS} certificates, got {len(value)}")
    return tuple(_ca(keyid, raw, where, source) for keyid, raw in value.items())
