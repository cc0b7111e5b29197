"""Certificates, public keys, CRLs and OpenPGP public keys a delivery may carry, each parsed
in full (not guessed from a header): a PEM file must hold nothing but PEM blocks (no payload
after an END line), and DER is read only under a DER name. Never trusted from a delivery:
trust comes from the policy; this only says what a file is."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

__all__ = ["DER_SUFFIXES", "PGP_KEY_ARMOR", "TrustMaterial", "trust_material_kind"]

TrustMaterial = Literal["certificate", "crl", "public-key", "openpgp-public-key"]
DER_SUFFIXES = (".der", ".cer", ".crt", ".crl")
PGP_KEY_ARMOR = b"-----BEGIN PGP PUBLIC KEY BLOCK-----"
_PGP_KEY_END = b"-----END PGP PUBLIC KEY BLOCK-----"
_PEM_FILE = re.compile(
    rb"\s*(?:-----BEGIN ([A-Z0-9 ]+)-----\s+[A-Za-z0-9+/=\s]+-----END \1-----\s*)+"
)
_Loaders = tuple[tuple[TrustMaterial, Callable[[bytes], Any]], ...]
_PEM: _Loaders = (
    ("certificate", x509.load_pem_x509_certificates),
    ("crl", x509.load_pem_x509_crl),
    ("public-key", load_pem_public_key),
)
_DER: _Loaders = (
    ("certificate", x509.load_der_x509_certificate),
    ("crl", x509.load_der_x509_crl),
    ("public-key", load_der_public_key),
)


def trust_material_kind(data: bytes, *, der: bool) -> TrustMaterial | None:
    """What `data` is, parsed in full; None if it is none of these."""
    if data.lstrip().startswith(PGP_KEY_ARMOR):
        return "openpgp-public-key" if data.rstrip().endswith(_PGP_KEY_END) else None
    if _PEM_FILE.fullmatch(data):
        loaders = _PEM
    elif der:
        loaders = _DER
    else:
        return None
    for kind, load in loaders:
        try:
            load(data)
        except (ValueError, TypeError):
            continue
        return kind
    return None
