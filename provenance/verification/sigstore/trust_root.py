"""Sigstore trust roots: which CAs, transparency logs, CT logs and TSAs a site trusts.

Sources, all offline:
- `embedded:production` / `embedded:staging`: the `trusted_root.json` files shipped inside the
  installed sigstore package. We read those files directly rather than through sigstore's TUF
  client, whose offline mode prefers a per-user cache that an earlier online run may have
  replaced: the gate must decide the same way on every workstation.
- a path to a private or air-gapped instance's `trusted_root.json`, or to a client trust
  config (`clienttrustconfig.v0.1`) that embeds one.

Every validity window is a closed interval (protobuf-specs `TimeRange`): both ends inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pydantic import ValidationError
from sigstore_models.trustroot.v1 import ClientTrustConfig, TrustedRoot

from provenance.errors import InputError, TrustRootError
from provenance.evidence.certificates import MalformedCertificate, load_der_certificate
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.inputs.files import read_bounded
from provenance.verification.sigstore.keys import LogKey, key_from_details
from provenance.verification.validity import Validity

if TYPE_CHECKING:
    from sigstore_models.common.v1 import TimeRange
    from sigstore_models.trustroot.v1 import CertificateAuthority as CertificateAuthorityModel
    from sigstore_models.trustroot.v1 import TransparencyLogInstance

__all__ = [
    "EMBEDDED_ROOTS",
    "CertificateAuthority",
    "SigstoreTrustRoot",
    "load_trust_root",
    "parse_trust_root",
]

# Trust roots are a few kilobytes; refuse anything absurd before parsing it.
MAX_TRUST_ROOT_BYTES = 4 * 1024 * 1024

# Name used on the command line and in policies -> TUF repository folder inside sigstore.
EMBEDDED_ROOTS = {
    "embedded:production": "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev",
    "embedded:staging": "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev",
}


@dataclass(frozen=True)
class CertificateAuthority:
    """A Fulcio CA or a TSA: its certificates, leaf-most first and root last."""

    name: str
    certificates: tuple[x509.Certificate, ...]
    validity: Validity


@dataclass(frozen=True)
class SigstoreTrustRoot:
    """A parsed, checked trusted root. Log maps are keyed by the trusted root's log ID."""

    name: str
    fulcio: tuple[CertificateAuthority, ...]
    tlogs: dict[bytes, LogKey]
    ctlogs: dict[bytes, LogKey]
    tsas: tuple[CertificateAuthority, ...]


def _validity(model: TimeRange | None, what: str) -> Validity:
    if model is None:
        raise TrustRootError(f"{what}: missing validFor; an unbounded key is not trusted")
    for bound in (model.start, model.end):
        if bound is not None and bound.tzinfo is None:
            raise TrustRootError(
                f"{what}: validFor time {bound.isoformat()} has no time zone; expected RFC 3339"
            )
    return Validity(start=model.start, end=model.end)


def _log_key(model: TransparencyLogInstance, what: str) -> LogKey:
    name = f"{what} {model.base_url}"
    if model.public_key.raw_bytes is None:
        raise TrustRootError(f"{name}: public key has no rawBytes")
    try:
        key = load_der_public_key(model.public_key.raw_bytes)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise TrustRootError(f"{name}: public key is not DER SubjectPublicKeyInfo") from exc
    return key_from_details(
        key=key,
        details=model.public_key.key_details.value,
        log_id=model.log_id.key_id,
        base_url=model.base_url,
        validity=_validity(model.public_key.valid_for, f"{name}: public key"),
        on_error=TrustRootError,
    )


def _authority(model: CertificateAuthorityModel, what: str) -> CertificateAuthority:
    name = f"{what} {model.subject.organization}/{model.subject.common_name}"
    if not model.cert_chain.certificates:
        raise TrustRootError(f"{name}: certificate chain is empty")
    try:
        certificates = tuple(
            load_der_certificate(cert.raw_bytes) for cert in model.cert_chain.certificates
        )
    except MalformedCertificate as exc:
        raise TrustRootError(f"{name}: certificate is not DER X.509: {exc}") from exc
    return CertificateAuthority(
        name=name, certificates=certificates, validity=_validity(model.valid_for, name)
    )


def parse_trust_root(data: bytes, name: str) -> SigstoreTrustRoot:
    """Parse a `trusted_root.json` or a client trust config holding one."""
    try:
        document = load_json(data)
    except MalformedJson as exc:
        raise TrustRootError(f"{name}: not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise TrustRootError(f"{name}: expected a JSON object, got {type(document).__name__}")
    try:
        if str(document.get("mediaType", "")).startswith(
            "application/vnd.dev.sigstore.clienttrustconfig"
        ):
            root = ClientTrustConfig.from_json(data).trusted_root
        else:
            root = TrustedRoot.from_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise TrustRootError(
            f"{name}: invalid trusted root at {where or 'top level'}: {first['msg']}"
        ) from exc

    if not root.tlogs:
        raise TrustRootError(f"{name}: no transparency logs; nothing could be verified")
    tlogs = [_log_key(log, "transparency log") for log in root.tlogs]
    ctlogs = [_log_key(log, "CT log") for log in root.ctlogs]
    return SigstoreTrustRoot(
        name=name,
        fulcio=tuple(
            _authority(ca, "certificate authority") for ca in root.certificate_authorities
        ),
        tlogs=_by_log_id(tlogs, "transparency log", name),
        ctlogs=_by_log_id(ctlogs, "CT log", name),
        tsas=tuple(_authority(tsa, "timestamp authority") for tsa in root.timestamp_authorities),
    )


def _by_log_id(keys: list[LogKey], what: str, name: str) -> dict[bytes, LogKey]:
    """Keys by log ID; a repeated ID is refused, since which copy won would decide the result."""
    found: dict[bytes, LogKey] = {}
    for key in keys:
        if key.log_id in found:
            raise TrustRootError(
                f"{name}: {what} ID {key.log_id.hex()} appears twice ({found[key.log_id].base_url}"
                f", {key.base_url}); expected each log once"
            )
        found[key.log_id] = key
    return found


def load_trust_root(reference: str) -> SigstoreTrustRoot:
    """`embedded:production`, `embedded:staging`, or a path to a trust root file."""
    if reference in EMBEDDED_ROOTS:
        store = resources.files("sigstore") / "_store" / EMBEDDED_ROOTS[reference]
        try:
            data = (store / "trusted_root.json").read_bytes()
        except OSError as exc:
            raise TrustRootError(
                f"{reference}: the installed sigstore package has no embedded trusted root"
            ) from exc
        return parse_trust_root(data, reference)
    if reference.startswith("embedded:"):
        raise TrustRootError(
            f"{reference}: unknown embedded trust root (expected one of: "
            f"{', '.join(EMBEDDED_ROOTS)})"
        )
    try:
        contents = read_bounded(Path(reference), MAX_TRUST_ROOT_BYTES, "trust root")
    except InputError as exc:
        raise TrustRootError(str(exc)) from exc
    if contents is None:
        raise TrustRootError(f"{reference}: larger than {MAX_TRUST_ROOT_BYTES} bytes")
    return parse_trust_root(contents, reference)
