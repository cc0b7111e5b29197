"""DER X.509 certificates, parsed completely at the boundary.

cryptography parses names, validity and extensions lazily, so a malformed certificate would
otherwise raise deep inside a check, and not always as a ValueError.
"""

from __future__ import annotations

from cryptography import x509

__all__ = ["MalformedCertificate", "load_der_certificate"]

# What cryptography raises for certificates that are not well-formed X.509; TypeError for a
# name attribute of a string type its OID does not allow (a BitString under commonName).
_MALFORMED = (
    ValueError,
    TypeError,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)


class MalformedCertificate(ValueError):
    """The bytes are not a well-formed DER X.509 certificate."""


def load_der_certificate(raw: bytes) -> x509.Certificate:
    try:
        certificate = x509.load_der_x509_certificate(raw)
        _ = certificate.subject, certificate.issuer, certificate.extensions
        _ = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    except _MALFORMED as exc:
        raise MalformedCertificate(str(exc)) from exc
    return certificate
