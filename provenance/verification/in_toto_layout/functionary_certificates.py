"""in-toto-golang's X.509 functionaries: whose certificate may stand in for a step's pubkeys.

A link may be signed by a key the step does not list, if the signature carries a certificate
for that key which chains to the layout's `rootcas` (through its `intermediatecas`) and meets
one of the step's `cert_constraints`. in-toto-golang's rules (`VerifyLinkSignatureThesholds`,
`CertificateConstraint.Check`), with the differences named:

  1. CA entries: each `rootcas`/`intermediatecas` key ID must be the ID in-toto-golang computes
     for its certificate's key. Constraints name roots by these IDs, so an ID that is not
     bound to its certificate would let a layout say one root and mean another.
  2. Chain: leaf, then `intermediatecas`, to one `rootcas` certificate, valid at `now` (a link
     has no trusted time; in-toto-golang also checks at verification time), validated by
     cryptography (`validate_path`): signatures, validity, CA constraints, and a leaf that is
     not a CA and has keyUsage digitalSignature (in-toto-golang does not ask for the latter).
  3. Constraints: at least one must match. Each attribute (common name, DNS names, emails,
     organizations, URIs) must equal the certificate's as a set; `*` allows any value, an
     empty or absent attribute allows none. `roots` is compared with the ID of the root this
     chain ends at; in-toto-golang compares it with every `rootcas` ID, so a layout with two
     roots can only use `*` there. A subject with two common names is refused (which one
     in-toto-golang reads depends on their order).
  4. Key: the certificate's public key, with in-toto-golang's default scheme for its type; the
     caller verifies the link's signature with it. Functionaries are counted by key, so a
     certificate for a key the step already lists does not count twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.in_toto_metadata import Layout, Step
from provenance.evidence.in_toto_x509 import CertConstraint, LayoutCa
from provenance.verification.in_toto_keys import (
    InTotoKey,
    certificate_keyid,
    key_from_certificate,
)
from provenance.verification.signers import VerifyingKey
from provenance.verification.x509.path import validate_path

__all__ = ["CertificateRejected", "LayoutAuthorities", "certified_key"]

_ANY = "*"


class CertificateRejected(Exception):
    """Why a functionary certificate does not count; `reason` is one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LayoutAuthorities:
    """The layout's CAs for functionary certificates: roots by key ID, intermediates."""

    roots: Mapping[str, x509.Certificate]
    intermediates: tuple[x509.Certificate, ...]

    @classmethod
    def of(cls, layout: Layout, source: str) -> LayoutAuthorities:
        """Step 1; raises `EvidenceError` for a CA entry whose key ID is not its key's."""
        for name, entries in (
            ("rootcas", layout.root_cas),
            ("intermediatecas", layout.intermediate_cas),
        ):
            for entry in entries:
                _check_ca_keyid(entry, f"{source}: {name}[{entry.keyid[:8]}]")
        return cls(
            roots={entry.keyid: entry.certificate for entry in layout.root_cas},
            intermediates=tuple(entry.certificate for entry in layout.intermediate_cas),
        )


def _check_ca_keyid(entry: LayoutCa, where: str) -> None:
    key = entry.certificate.public_key()
    if not isinstance(key, VerifyingKey):
        raise EvidenceError(f"{where}: unsupported key type {type(key).__name__}", check="in-toto")
    computed = certificate_keyid(key, entry.fields)
    if computed != entry.keyid:
        raise EvidenceError(
            f"{where}: key ID does not match the certificate's key (computed {computed})",
            check="in-toto",
        )


def _subject(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string() or "(empty subject)"


def _san(
    certificate: x509.Certificate,
    kind: type[x509.DNSName] | type[x509.RFC822Name] | type[x509.UniformResourceIdentifier],
) -> tuple[str, ...]:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(names.get_values_for_type(kind))


def _names(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> tuple[str, ...]:
    return tuple(str(a.value) for a in certificate.subject.get_attributes_for_oid(oid))


def _attribute(name: str, allowed: Sequence[str], values: Sequence[str]) -> str | None:
    """in-toto-golang's `checkCertConstraint`, as sets: None if `values` meet `allowed`."""
    if list(allowed) == [_ANY]:
        return None
    wanted = {a for a in allowed if a}  # [""] is how Go writes "none"
    got = {v for v in values if v}
    if got == wanted:
        return None
    return f"{name} {sorted(got) or 'none'}, expected {sorted(wanted) or 'none'}"


def _problems(constraint: CertConstraint, certificate: x509.Certificate, root_id: str) -> list[str]:
    common_names = _names(certificate, NameOID.COMMON_NAME)
    checks = (
        _attribute("common name", [constraint.common_name], common_names),
        _attribute("DNS names", constraint.dns_names, _san(certificate, x509.DNSName)),
        _attribute("emails", constraint.emails, _san(certificate, x509.RFC822Name)),
        _attribute(
            "organizations",
            constraint.organizations,
            _names(certificate, NameOID.ORGANIZATION_NAME),
        ),
        _attribute("root", constraint.roots, [root_id]),
        _attribute("URIs", constraint.uris, _san(certificate, x509.UniformResourceIdentifier)),
    )
    return [problem for problem in checks if problem is not None]


def certified_key(
    certificate: x509.Certificate,
    step: Step,
    authorities: LayoutAuthorities,
    *,
    now: datetime,
) -> InTotoKey:
    """The functionary key `certificate` vouches for in `step` (steps 2-4); raises
    `CertificateRejected` with the reason it does not."""
    who = f"certificate '{_subject(certificate)}'"
    if not step.cert_constraints:
        raise CertificateRejected(f"{who}: step {step.name!r} has no cert_constraints")
    if not authorities.roots:
        raise CertificateRejected(f"{who}: the layout has no rootcas to check it against")
    if len(_names(certificate, NameOID.COMMON_NAME)) > 1:
        raise CertificateRejected(f"{who}: a subject with several common names is ambiguous")
    # 2. The chain, at the verification time.
    try:
        chain = validate_path(
            certificate,
            untrusted=authorities.intermediates,
            roots=list(authorities.roots.values()),
            at=now,
            at_source="now",
            ekus=(),
            role="functionary",
        )
    except VerificationFailure as exc:
        anchors = ", ".join(f"'{_subject(root)}'" for root in authorities.roots.values())
        raise CertificateRejected(f"{who}: {exc} (the layout's rootcas: {anchors})") from exc
    root_id = next(keyid for keyid, root in authorities.roots.items() if root == chain[-1])
    # 3. At least one constraint.
    problems = [_problems(c, certificate, root_id) for c in step.cert_constraints]
    if all(problems):
        if len(problems) == 1:
            detail = "; ".join(problems[0])
        else:
            detail = (
                f"none of {len(problems)} matches ("
                + "; ".join(f"{i}: {', '.join(p)}" for i, p in enumerate(problems, 1))
                + ")"
            )
        raise CertificateRejected(
            f"{who}: does not meet step {step.name!r}'s cert_constraints: {detail}"
        )
    # 4. The key it certifies.
    key = certificate.public_key()
    if not isinstance(key, VerifyingKey):
        raise CertificateRejected(f"{who}: unsupported key type {type(key).__name__}")
    try:
        return key_from_certificate(key, who)
    except EvidenceError as exc:
        raise CertificateRejected(str(exc)) from exc
