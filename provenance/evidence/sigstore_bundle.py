"""Sigstore bundles (v0.1, v0.2, v0.3), parsed strictly and never trusted.

Parsing establishes shape only: one signing certificate or a key hint, exactly one log entry
with an inclusion proof and checkpoint, one signed content. Whether any of it is true is
verification's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from pydantic import ValidationError
from sigstore_models.bundle.v1 import Bundle, VerificationMaterial
from sigstore_models.intoto import Envelope
from sigstore_models.rekor.v1 import TransparencyLogEntry

from provenance.errors import EvidenceError, InputError
from provenance.evidence.certificates import MalformedCertificate, load_der_certificate
from provenance.evidence.what_is_it import what_is_it
from provenance.inputs.files import read_bounded

__all__ = [
    "BUNDLE_SUFFIXES",
    "DsseContent",
    "MessageContent",
    "ParsedBundle",
    "find_bundle_beside",
    "parse_bundle",
    "read_bundle",
]

# Real bundles are a few KB; DSSE bundles carrying an SBOM predicate reach a few MB.
MAX_BUNDLE_BYTES = 32 * 1024 * 1024
# sigstore-go's limit: a bundle cannot buy trust with a pile of timestamps.
MAX_TIMESTAMPS = 32
# Looked for beside ARTIFACT, in this order, when no --bundle is given.
BUNDLE_SUFFIXES = (".sigstore.json", ".sigstore")

# Both spellings of v0.3 are in use; sigstore-models rejects any other media type.
BUNDLE_VERSIONS = {
    "application/vnd.dev.sigstore.bundle+json;version=0.1": "0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2": "0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3": "0.3",
    "application/vnd.dev.sigstore.bundle.v0.3+json": "0.3",
}


@dataclass(frozen=True)
class MessageContent:
    """A signature over the artifact's digest (hashedrekord)."""

    signature: bytes
    digest_algorithm: str | None  # from the unauthenticated messageDigest, if present
    digest: bytes | None


@dataclass(frozen=True)
class DsseContent:
    """A DSSE envelope; exactly one signature."""

    envelope: Envelope
    signature: bytes

    @property
    def payload_type(self) -> str:
        return self.envelope.payload_type

    @property
    def payload(self) -> bytes:
        return self.envelope.payload


@dataclass(frozen=True)
class ParsedBundle:
    """A structurally valid bundle. Nothing here has been verified."""

    source: str
    media_type: str
    certificate: x509.Certificate | None  # None for managed-key bundles
    key_hint: str | None
    content: MessageContent | DsseContent
    entry: TransparencyLogEntry
    timestamps: tuple[bytes, ...]  # DER RFC 3161 TimeStampResponses

    @property
    def version(self) -> str:
        return BUNDLE_VERSIONS[self.media_type]

    @property
    def signature(self) -> bytes:
        return self.content.signature


def find_bundle_beside(artifact: Path) -> Path:
    """`ARTIFACT.sigstore.json`, else `ARTIFACT.sigstore`; `InputError` if neither exists."""
    for suffix in BUNDLE_SUFFIXES:
        candidate = artifact.with_name(artifact.name + suffix)
        if candidate.is_file():
            return candidate
    names = " or ".join(artifact.name + suffix for suffix in BUNDLE_SUFFIXES)
    raise InputError(f"{artifact}: no bundle given and no {names} beside it")


def read_bundle(path: Path) -> ParsedBundle:
    """Read and parse a bundle file; an unreadable file is a usage error, bad content a failure."""
    data = read_bounded(path, MAX_BUNDLE_BYTES, "bundle")
    if data is None:
        raise EvidenceError(
            f"bundle is larger than the {MAX_BUNDLE_BYTES}-byte limit", check="bundle"
        )
    return parse_bundle(data, str(path))


def parse_bundle(data: bytes, source: str) -> ParsedBundle:
    if len(data) > MAX_BUNDLE_BYTES:
        raise EvidenceError(
            f"bundle is larger than the {MAX_BUNDLE_BYTES}-byte limit", check="bundle"
        )
    if not data.strip():
        raise EvidenceError("bundle is empty", check="bundle")
    try:
        bundle = Bundle.from_json(data)
    except ValidationError as exc:
        raise _unreadable(data, exc) from exc

    material = bundle.verification_material
    certificate = _signing_certificate(bundle.media_type, material)
    if len(material.tlog_entries) != 1:
        raise EvidenceError(
            f"expected exactly one transparency log entry, got {len(material.tlog_entries)}",
            check="bundle",
        )
    entry = material.tlog_entries[0]
    if entry.inclusion_proof.checkpoint is None:
        # Offline, only a proof with a signed checkpoint shows the entry is in the log; a v0.1
        # bundle's promise alone is the log's word that it will be, which we do not take.
        raise EvidenceError(
            "expected an inclusion proof with a checkpoint, got a proof without one",
            check="bundle",
        )
    timestamps = tuple(
        ts.signed_timestamp
        for ts in (
            material.timestamp_verification_data.rfc3161_timestamps
            if material.timestamp_verification_data
            else []
        )
    )
    if len(timestamps) > MAX_TIMESTAMPS:
        raise EvidenceError(
            f"expected at most {MAX_TIMESTAMPS} RFC 3161 timestamps, got {len(timestamps)}",
            check="bundle",
        )
    if len(set(timestamps)) != len(timestamps):
        raise EvidenceError("bundle repeats an RFC 3161 timestamp", check="bundle")
    if entry.inclusion_promise is None and not timestamps:
        raise EvidenceError(
            "expected an inclusion promise or an RFC 3161 timestamp, got neither: "
            "no trusted time for the signature",
            check="bundle",
        )

    content: MessageContent | DsseContent
    if bundle.dsse_envelope is not None:
        signatures = bundle.dsse_envelope.signatures
        if len(signatures) != 1:
            raise EvidenceError(
                f"expected exactly one DSSE signature, got {len(signatures)}", check="bundle"
            )
        content = DsseContent(envelope=bundle.dsse_envelope, signature=signatures[0].sig)
    else:
        message = bundle.message_signature
        assert message is not None  # the model enforces exactly one of the two
        content = MessageContent(
            signature=message.signature,
            digest_algorithm=message.message_digest.algorithm.value
            if message.message_digest
            else None,
            digest=message.message_digest.digest if message.message_digest else None,
        )
    return ParsedBundle(
        source=source,
        media_type=bundle.media_type,
        certificate=certificate,
        key_hint=material.public_key.hint if material.public_key else None,
        content=content,
        entry=entry,
        timestamps=timestamps,
    )


def _unreadable(data: bytes, exc: ValidationError) -> EvidenceError:
    """Why the bytes are no bundle: what they are instead, when that is recognised (other
    evidence given as a bundle), else the parser's first complaint."""
    if (what := what_is_it(data)) is not None:
        return EvidenceError(what, check="bundle")
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        problem = str(first["msg"]).removeprefix("Invalid JSON: ")
        return EvidenceError(f"bundle is not valid JSON: {problem}", check="bundle")
    return EvidenceError(f"bundle is malformed: {_first_error(exc)}", check="bundle")


def _signing_certificate(
    media_type: str, material: VerificationMaterial
) -> x509.Certificate | None:
    """The leaf certificate; v0.3 carries it alone, v0.1/v0.2 first in a "chain"."""
    if material.public_key is not None:
        return None
    v0_3 = BUNDLE_VERSIONS[media_type] == "0.3"
    if material.certificate is not None:
        if not v0_3:
            raise EvidenceError(
                "expected x509CertificateChain in a v0.1/v0.2 bundle, got certificate",
                check="bundle",
            )
        raw = material.certificate.raw_bytes
    else:
        assert material.x509_certificate_chain is not None
        if v0_3:
            raise EvidenceError(
                "expected certificate in a v0.3 bundle, got x509CertificateChain",
                check="bundle",
            )
        chain = material.x509_certificate_chain.certificates
        if not chain:
            raise EvidenceError("certificate chain is empty", check="bundle")
        # The rest of a v0.1/v0.2 "chain" is an untrusted pool that path building never uses
        # (only the trust root's CAs are anchors). A root CA in it means the bundle tries to
        # bring its own anchor: protobuf-specs forbids that, and so do we.
        for extra in chain[1:]:
            if _is_root_ca(_load_certificate(extra.raw_bytes)):
                raise EvidenceError(
                    "bundle's certificate chain carries a root CA; a bundle must not bring its "
                    "own trust anchor",
                    check="bundle",
                )
        raw = chain[0].raw_bytes
    certificate = _load_certificate(raw)
    if _is_ca(certificate):
        raise EvidenceError(
            "expected a leaf signing certificate, got a CA certificate", check="bundle"
        )
    return certificate


def _load_certificate(raw: bytes) -> x509.Certificate:
    try:
        return load_der_certificate(raw)
    except MalformedCertificate as exc:
        raise EvidenceError(f"certificate is malformed: {exc}", check="bundle") from exc


def _is_root_ca(certificate: x509.Certificate) -> bool:
    return certificate.subject == certificate.issuer and _is_ca(certificate)


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return constraints.value.ca


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where or 'top level'}: {first['msg']}"
