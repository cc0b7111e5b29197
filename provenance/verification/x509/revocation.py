"""Revocation of a validated chain: CRLs (air-gapped sites), OCSP only when asked to go online.

Decisions, written down:
- Where CRLs come from: pinned in the policy (`x509.crls`), carried in the state directory
  (`provenance crl import`, and those of deliveries admitted before), and beside the
  delivery. None is trusted for where it was found: a CRL counts for a certificate only if
  its issuer name is the certificate's issuer and its signature verifies with that issuer's
  key. One from the policy or the delivery naming a CA of the chain that does not verify is
  forged or corrupt: verification fails. One from the state directory that does not verify
  is set aside (the store keeps what was handed to it; only verification makes it count).
- Newest wins: of an issuer's CRLs that verify, the newest (CRL number, then thisUpdate)
  answers "not revoked"; an older one is refused ("CRL older than one already seen"), so a
  vendor's superseded CRL, still inside its validity window, cannot hide a later revocation.
  A revocation listed in any of them counts: revocation is permanent.
- Freshness is judged at `now` (what the CRL says about the present): if the newest CRL's
  nextUpdate has passed it is stale and fails verification, as does one from the future or
  without nextUpdate. The operator supplied it to be checked; reporting "not checked" instead
  would hide that the site's revocation data is out of date.
- Partitioned CRLs (IssuingDistributionPoint), delta CRLs and unknown critical extensions are
  refused: their scope is not the whole CA.
- A listed serial fails if it was revoked at or before the validation time, or for
  keyCompromise, cACompromise, aACompromise or no stated reason at any time (a compromised key
  may have made the "earlier" signature). A certificate revoked for another reason after a
  trusted signing time still verifies, and the result says so.
- No answer for a certificate below the root (no CRL of its issuer, no OCSP when online):
  under `revocation: required` verification fails and says how to supply one; under
  `best-effort` the result reads "not checked".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from provenance.errors import InputError, VerificationFailure
from provenance.inputs.files import read_bounded
from provenance.verification.signatures import verify_signature
from provenance.verification.x509.path import format_time

__all__ = [
    "MAX_CRL_BYTES",
    "OCSP_TIMEOUT_SECONDS",
    "REVOCATION_MODES",
    "CrlFile",
    "CrlOrigin",
    "RevocationMode",
    "RevocationStatus",
    "check_revocation",
    "crl_order",
    "describe_crl",
    "load_crl",
    "parse_crl",
]

# required: a certificate whose revocation cannot be established fails verification;
# best-effort: it is reported "not checked".
RevocationMode = Literal["required", "best-effort"]
REVOCATION_MODES: tuple[RevocationMode, ...] = ("required", "best-effort")
CrlOrigin = Literal["delivery", "policy", "state"]

MAX_CRL_BYTES = 16 * 1024 * 1024
MAX_OCSP_RESPONSE_BYTES = 64 * 1024
OCSP_TIMEOUT_SECONDS = 10.0
_COMPROMISE = frozenset(
    {
        x509.ReasonFlags.key_compromise,
        x509.ReasonFlags.ca_compromise,
        x509.ReasonFlags.aa_compromise,
        x509.ReasonFlags.unspecified,
    }
)
_ISSUER_KEYS = (
    ec.EllipticCurvePublicKey,
    rsa.RSAPublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
)
_CRL_HASHES = (hashes.SHA256, hashes.SHA384, hashes.SHA512)
_KNOWN_CRL_EXTENSIONS = frozenset(
    {
        x509.oid.ExtensionOID.CRL_NUMBER,
        x509.oid.ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        x509.oid.ExtensionOID.ISSUER_ALTERNATIVE_NAME,
    }
)


@dataclass(frozen=True)
class CrlFile:
    name: str  # the file name, for reports
    crl: x509.CertificateRevocationList
    origin: CrlOrigin = "delivery"


@dataclass(frozen=True)
class RevocationStatus:
    """What revocation checking established, per certificate below the root (leaf first)."""

    checked: bool  # the leaf's status was established
    leaf: str  # "crl:<file> not revoked", "ocsp:<url> good", "not checked"
    chain: tuple[str, ...]  # one entry per CA below the root, same vocabulary
    notes: tuple[str, ...] = ()  # CRLs refused as older than another, or set aside


def parse_crl(data: bytes, name: str, origin: CrlOrigin) -> CrlFile:
    """A PEM or DER CRL, parsed completely; `InputError` if it is not one."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            crl = x509.load_pem_x509_crl(data)
        else:
            crl = x509.load_der_x509_crl(data)
        # Parse lazily-decoded parts here, so a malformed CRL is an input error.
        _ = crl.issuer, crl.extensions, crl.last_update_utc, crl.next_update_utc, list(crl)
        for entry in crl:
            _ = entry.extensions
    except ValueError as exc:
        raise InputError(
            f"{name}: expected a PEM or DER X.509 CRL, got data that does not parse as one"
        ) from exc
    return CrlFile(name=name, crl=crl, origin=origin)


def load_crl(path: Path, *, origin: CrlOrigin = "delivery", name: str | None = None) -> CrlFile:
    """A PEM or DER CRL file; `InputError` if unreadable or not a CRL."""
    data = read_bounded(path, MAX_CRL_BYTES, "CRL")
    if data is None:
        raise InputError(f"{path}: larger than {MAX_CRL_BYTES} bytes; not a CRL")
    parsed = parse_crl(data, str(path), origin)
    return CrlFile(name=name or path.name, crl=parsed.crl, origin=origin)


def crl_order(crl: x509.CertificateRevocationList) -> tuple[int, datetime]:
    """How CRLs of one issuer are ordered, oldest first: CRL number (RFC 5280 5.2.3, which
    only increases), then thisUpdate."""
    try:
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        number = -1
    return (number, crl.last_update_utc)


def describe_crl(crl: x509.CertificateRevocationList) -> str:
    number, issued = crl_order(crl)
    shown = f"number {number}, " if number >= 0 else ""
    return f"{shown}thisUpdate {format_time(issued)}"


def _fail(reason: str) -> VerificationFailure:
    return VerificationFailure(reason, check="revocation")


def _signed_by(entry: CrlFile, issuer: x509.Certificate) -> None:
    """The CRL is signed by `issuer`, with SHA-2, and covers all of its certificates."""
    crl = entry.crl
    issuer_key = issuer.public_key()
    if not isinstance(issuer_key, _ISSUER_KEYS) or not crl.is_signature_valid(issuer_key):
        raise _fail(
            f"CRL {entry.name} is not signed by the issuing CA "
            f"'{issuer.subject.rfc4514_string()}' whose name it carries"
        )
    try:
        algorithm = crl.signature_hash_algorithm
        weak = None if algorithm is None or isinstance(algorithm, _CRL_HASHES) else algorithm.name
    except UnsupportedAlgorithm:
        weak = "an unsupported algorithm"
    if weak is not None:
        raise _fail(f"CRL {entry.name} is signed with {weak}: expected sha256, sha384 or sha512")
    for extension in crl.extensions:
        if extension.critical and extension.oid not in _KNOWN_CRL_EXTENSIONS:
            raise _fail(
                f"CRL {entry.name}: unsupported critical extension {extension.oid.dotted_string} "
                "(partitioned or delta CRLs are not supported)"
            )


def _fresh(entry: CrlFile, now: datetime) -> None:
    crl = entry.crl
    next_update = crl.next_update_utc
    if next_update is None:
        raise _fail(f"CRL {entry.name}: expected a nextUpdate time, got none")
    if now > next_update:
        raise _fail(
            f"CRL {entry.name} is stale: its nextUpdate {format_time(next_update)} is before "
            f"now {format_time(now)}; fetch a current CRL from the vendor"
        )
    if now < crl.last_update_utc:
        raise _fail(
            f"CRL {entry.name}: thisUpdate {format_time(crl.last_update_utc)} is after now "
            f"{format_time(now)}"
        )


def _issuer_crls(
    issuer: x509.Certificate, crls: Sequence[CrlFile], notes: list[str]
) -> list[CrlFile]:
    """The CRLs `issuer` signed, newest first. One naming it that does not verify fails, but
    one from the state directory is only set aside (noted)."""
    verified = []
    for entry in crls:
        if entry.crl.issuer != issuer.subject:
            continue
        try:
            _signed_by(entry, issuer)
        except VerificationFailure as failure:
            if entry.origin != "state":
                raise
            notes.append(f"{failure}: set aside")
            continue
        verified.append(entry)
    return sorted(verified, key=lambda entry: crl_order(entry.crl), reverse=True)


def _reason(entry: x509.RevokedCertificate) -> x509.ReasonFlags | None:
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None


def _crl_status(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    crls: Sequence[CrlFile],
    *,
    who: str,
    at: datetime,
    trusted_time: bool,
    now: datetime,
    notes: list[str],
) -> str | None:
    """The status from the CRLs of `issuer`, None if none of them is the issuer's.

    1. The issuer's CRLs that verify, newest first (`_issuer_crls`).
    2. A revocation in any of them (revocation is permanent; an older CRL listing the
       serial is not outweighed by a newer one that dropped it).
    3. "Not revoked" only from the newest, which must be fresh; the older are refused.
    """
    # 1.
    mine = _issuer_crls(issuer, crls, notes)
    if not mine:
        return None
    # 2.
    for entry in mine:
        revoked = entry.crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
        if revoked is None:
            continue
        when = revoked.revocation_date_utc
        reason = _reason(revoked)
        reason_text = reason.value if reason is not None else "no reason given"
        if when <= at or not trusted_time or reason is None or reason in _COMPROMISE:
            raise _fail(f"{who} revoked on {format_time(when)} ({reason_text}; CRL {entry.name})")
        return (
            f"crl:{entry.name} revoked on {format_time(when)} ({reason_text}), after the "
            f"trusted signing time {format_time(at)}"
        )
    # 3.
    newest, *older = mine
    _fresh(newest, now)
    for entry in older:
        if crl_order(entry.crl) < crl_order(newest.crl):
            notes.append(
                f"CRL {entry.name} ({describe_crl(entry.crl)}) refused: CRL older than one "
                f"already seen ({newest.name}, {describe_crl(newest.crl)})"
            )
    return f"crl:{newest.name} not revoked"


def _no_answer(who: str, issuer: x509.Certificate, online: bool) -> VerificationFailure:
    asked = (
        "no CRL of its issuer, and it names no OCSP responder" if online else "no CRL of its issuer"
    )
    return _fail(
        f"revocation required: no answer for the {who} ({asked}: "
        f"'{issuer.subject.rfc4514_string()}'); carry the issuer's CRL in (beside the delivery, "
        "`provenance crl import`, or `crls:` in the policy's x509 signer)"
        + ("" if online else ", or allow --online-revocation")
    )


def check_revocation(
    chain: Sequence[x509.Certificate],
    crls: Sequence[CrlFile],
    *,
    at: datetime,
    trusted_time: bool,
    now: datetime,
    online: bool = False,
    required: bool = False,
    timeout: float = OCSP_TIMEOUT_SECONDS,
) -> RevocationStatus:
    """Revocation of every certificate in `chain` (leaf first, root last) but the root.

    `at` is the validation time; `trusted_time` says it came from a trusted timestamp.
    Raises `VerificationFailure` if one is revoked, a CRL is forged or stale, or, when
    `required`, no CRL or OCSP answer covers one of them.
    """
    statuses = []
    notes: list[str] = []
    for index, certificate in enumerate(chain[:-1]):
        issuer = chain[index + 1]
        who = (
            "signer certificate"
            if index == 0
            else f"CA certificate '{certificate.subject.rfc4514_string()}'"
        )
        status = _crl_status(
            certificate, issuer, crls, who=who, at=at, trusted_time=trusted_time, now=now,
            notes=notes,
        )  # fmt: skip
        if status is None and online:
            status = _ocsp_status(certificate, issuer, who=who, now=now, timeout=timeout)
        if status is None and required:
            raise _no_answer(who, issuer, online)
        statuses.append(status or "not checked")
    leaf = statuses[0] if statuses else "not checked"
    return RevocationStatus(
        checked=leaf != "not checked",
        leaf=leaf,
        chain=tuple(statuses[1:]),
        notes=tuple(dict.fromkeys(notes)),
    )


# -- OCSP (only with online=True) -------------------------------------------------------------


def _ocsp_url(certificate: x509.Certificate) -> str | None:
    try:
        access = certificate.extensions.get_extension_for_class(
            x509.AuthorityInformationAccess
        ).value
    except x509.ExtensionNotFound:
        return None
    for description in access:
        if description.access_method == x509.oid.AuthorityInformationAccessOID.OCSP and (
            isinstance(description.access_location, x509.UniformResourceIdentifier)
        ):
            url = description.access_location.value
            if url.startswith(("http://", "https://")):
                return url
    return None


def _ocsp_fetch(
    url: str, certificate: x509.Certificate, issuer: x509.Certificate, timeout: float
) -> ocsp.OCSPResponse:
    """POST an OCSP request; the parsed response, whose status must be successful."""
    import requests  # noqa: PLC0415 - only online checks load the HTTP stack

    # 1. Request by CertID (SHA-1 is what responders index by; it is an identifier here).
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, issuer, hashes.SHA1())  # noqa: S303
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    try:
        reply = requests.post(
            url,
            data=request,
            headers={"Content-Type": "application/ocsp-request"},
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        )
        body = reply.raw.read(MAX_OCSP_RESPONSE_BYTES + 1, decode_content=True)
    except (requests.RequestException, OSError) as exc:
        raise _fail(f"OCSP {url}: no answer ({type(exc).__name__})") from exc
    if reply.status_code != 200 or not 0 < len(body) <= MAX_OCSP_RESPONSE_BYTES:
        raise _fail(
            f"OCSP {url}: expected HTTP 200 with a response of at most "
            f"{MAX_OCSP_RESPONSE_BYTES} bytes, got {reply.status_code} with {len(body)} bytes"
        )
    try:
        response = ocsp.load_der_ocsp_response(body)
        status = response.response_status
    except ValueError as exc:
        raise _fail(f"OCSP {url}: expected a DER OCSP response, got malformed data") from exc
    if status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise _fail(f"OCSP {url}: expected status successful, got {status.name}")
    return response


def _ocsp_status(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    *,
    who: str,
    now: datetime,
    timeout: float,
) -> str | None:
    """Ask the responder in the certificate's AIA. None if it names none."""
    url = _ocsp_url(certificate)
    if url is None:
        return None
    response = _ocsp_fetch(url, certificate, issuer, timeout)
    # 2. The response is signed by the issuer, or by a responder it delegated OCSPSigning to.
    signer = issuer
    if response.certificates:
        delegate = response.certificates[0]
        try:
            delegate.verify_directly_issued_by(issuer)
            ekus = delegate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (ValueError, TypeError, x509.ExtensionNotFound, InvalidSignature) as exc:
            raise _fail(f"OCSP {url}: responder certificate not delegated by the issuer") from exc
        if ExtendedKeyUsageOID.OCSP_SIGNING not in ekus:
            raise _fail(f"OCSP {url}: responder certificate lacks EKU OCSPSigning")
        signer = delegate
    if response.signature_hash_algorithm is None or not verify_signature(
        signer.public_key(),
        response.signature,
        response.tbs_response_bytes,
        algorithm=response.signature_hash_algorithm,
    ):
        raise _fail(f"OCSP {url}: response signature does not verify")
    # 3. About this certificate, and current.
    if response.serial_number != certificate.serial_number:
        raise _fail(f"OCSP {url}: response is about another certificate")
    next_update = response.next_update_utc
    if response.this_update_utc > now or (next_update is not None and next_update < now):
        raise _fail(f"OCSP {url}: response is not current at {format_time(now)}")
    if response.certificate_status == ocsp.OCSPCertStatus.REVOKED:
        when = response.revocation_time_utc
        shown = format_time(when) if when else "an unknown date"
        raise _fail(f"{who} revoked on {shown} (OCSP {url})")
    if response.certificate_status != ocsp.OCSPCertStatus.GOOD:
        raise _fail(f"OCSP {url}: status unknown for the {who}")
    return f"ocsp:{url} good"
