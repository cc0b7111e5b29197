"""CMS / PKCS#7 SignedData (RFC 5652) and Authenticode's SpcIndirectDataContent, parsed strictly.

asn1crypto parses lazily: a malformed field deep inside raises only when something reads it.
`parse_signed_data` therefore walks the whole structure once (`.native`), here at the
boundary, so that a truncated or junk envelope is an `EvidenceError` and never an exception
inside a verification step. Nothing parsed here is trusted; `provenance.verification.x509`
checks it.

Why asn1crypto: `cryptography` has no CMS verification API (only PKCS#7 *signing* and
certificate extraction); asn1crypto has complete CMS, TSP and X.509 definitions, keeps each
value's original bytes (the signature covers the signed attributes exactly as sent), is pure
Python with no dependencies, and is what pyHanko and signify build on.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from asn1crypto import cms, core, parser, tsp

from provenance.errors import EvidenceError

__all__ = [
    "ASN1_ERRORS",
    "MAX_CMS_BYTES",
    "SPC_INDIRECT_DATA",
    "SPC_NESTED_SIGNATURE",
    "SPC_PE_IMAGE_DATA",
    "DigestInfo",
    "ParsedSignedData",
    "SpcAttributeTypeAndOptionalValue",
    "SpcIndirectDataContent",
    "describe_der_problem",
    "parse_signed_data",
    "parse_spc_indirect_data",
    "reading_der",
]

# A vendor's detached signature with its chain and a timestamp is a few kilobytes; a megabyte
# leaves room for long chains and embedded CRLs and still bounds what a hostile file can cost.
MAX_CMS_BYTES = 1024 * 1024
# Signatures from more co-signers than this are not what any vendor ships.
MAX_SIGNER_INFOS = 8
MAX_CERTIFICATES = 32

SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4"
_SIGNED_DATA = "1.2.840.113549.1.7.2"
SPC_PE_IMAGE_DATA = "1.3.6.1.4.1.311.2.1.15"
# Authenticode dual signing: a whole SignedData in the primary SignerInfo's unsigned attributes.
SPC_NESTED_SIGNATURE = "1.3.6.1.4.1.311.2.4.1"

# tsp is imported for its side effect on asn1crypto's tables: it registers TSTInfo and the
# ESS signing-certificate attributes, so timestamp tokens parse into their real types.
_ = tsp.TSTInfo

# The attributes verification reads; they are parsed completely at the boundary.
_READ_ATTRIBUTES = frozenset(
    {
        "content_type",
        "message_digest",
        "signing_time",
        "counter_signature",
    }
)
_TIMESTAMP_ATTRIBUTES = frozenset({"signature_time_stamp_token", "microsoft_time_stamp_token"})

_PEM = re.compile(
    rb"-----BEGIN (PKCS7|CMS)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----\s*", re.DOTALL
)


class DigestInfo(core.Sequence):
    _fields = [  # noqa: RUF012 - asn1crypto's declarative schema
        ("digest_algorithm", cms.DigestAlgorithm),
        ("digest", core.OctetString),
    ]


class SpcAttributeTypeAndOptionalValue(core.Sequence):
    _fields = [  # noqa: RUF012 - asn1crypto's declarative schema
        ("type", core.ObjectIdentifier),
        ("value", core.Any, {"optional": True}),
    ]


class SpcIndirectDataContent(core.Sequence):
    """Authenticode's signed content: what kind of file, and the digest of its image."""

    _fields = [  # noqa: RUF012 - asn1crypto's declarative schema
        ("data", SpcAttributeTypeAndOptionalValue),
        ("message_digest", DigestInfo),
    ]


@dataclass(frozen=True)
class ParsedSignedData:
    """A SignedData whose every field parsed; `content` is the encapsulated content's DER."""

    signed_data: cms.SignedData
    content_type: str  # dotted OID of the encapsulated content
    content: bytes | None  # None: detached


def _strip_pem(data: bytes) -> bytes:
    if not data.lstrip().startswith(b"-----BEGIN"):
        return data
    match = _PEM.fullmatch(data.strip() + b"\n")
    if match is None:
        raise EvidenceError(
            "CMS signature: expected one PEM block 'PKCS7' or 'CMS', got another PEM layout",
            check="cms",
        )
    try:
        return base64.b64decode(b"".join(match.group(2).split()), validate=True)
    except binascii.Error as exc:
        raise EvidenceError(
            "CMS signature: expected a base64 PEM body, got other text", check="cms"
        ) from exc


def describe_der_problem(data: bytes) -> str:
    """What is wrong with DER that did not parse, in our words (the parser's own text names
    its internals): the outer value truncated, bytes after it, or damage inside it."""
    if len(data) < 2:
        return f"expected a DER value, got {len(data)} bytes"
    first = data[1]
    if first & 0x80:
        count = first & 0x7F
        if not 1 <= count <= 4 or len(data) < 2 + count:
            return "the outer DER length is malformed"
        size = 2 + count + int.from_bytes(data[2 : 2 + count], "big")
    else:
        size = 2 + first
    if size > len(data):
        return f"truncated: the DER value declares {size} bytes, {len(data)} are present"
    if size < len(data):
        return f"{len(data) - size} bytes of trailing data after the DER value"
    return "a field inside it is truncated or not of the expected type"


# What asn1crypto raises on damaged DER, when a field is first read (parsing is lazy):
# ValueError and its kin, and AttributeError or TypeError from a value of the wrong type.
ASN1_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    AttributeError,
)


@contextmanager
def reading_der(what: str, der: bytes) -> Iterator[None]:
    """Around every read of an attacker's DER through asn1crypto: its errors become ours."""
    try:
        yield
    except ASN1_ERRORS as exc:
        raise EvidenceError(
            f"{what}: truncated or malformed DER ({describe_der_problem(der)})", check="cms"
        ) from exc


def _not_signed_data(what: str, content_type: str) -> ParsedSignedData:
    raise EvidenceError(
        f"{what}: expected SignedData ({_SIGNED_DATA}), got {content_type}", check="cms"
    )


def parse_signed_data(data: bytes, what: str = "CMS signature") -> ParsedSignedData:
    """DER or PEM ContentInfo holding SignedData; raises `EvidenceError` on anything else."""
    if len(data) > MAX_CMS_BYTES:
        raise EvidenceError(
            f"{what}: expected at most {MAX_CMS_BYTES} bytes, got {len(data)}", check="cms"
        )
    der = _strip_pem(data)
    with reading_der(what, der):
        info = cms.ContentInfo.load(der, strict=True)
        content_type = info["content_type"].dotted
        if content_type != _SIGNED_DATA:
            return _not_signed_data(what, content_type)
        signed = info["content"]
        # Walk every field verification reads, once, so that malformed DER fails here.
        _ = signed["version"].native, signed["digest_algorithms"].native
        _ = signed["certificates"].native, signed["crls"].native
        for signer_info in signed["signer_infos"]:
            _walk_signer_info(signer_info)
        encap = signed["encap_content_info"]
        inner_type = encap["content_type"].dotted
        content = _encapsulated_content(encap["content"])
    count = len(signed["signer_infos"])
    if count == 0:
        raise EvidenceError(f"{what}: CMS has no SignerInfo", check="cms")
    if count > MAX_SIGNER_INFOS:
        raise EvidenceError(
            f"{what}: expected at most {MAX_SIGNER_INFOS} SignerInfos, got {count}", check="cms"
        )
    certificates = signed["certificates"]
    if certificates.native is not None and len(certificates) > MAX_CERTIFICATES:
        raise EvidenceError(
            f"{what}: expected at most {MAX_CERTIFICATES} certificates, got {len(certificates)}",
            check="cms",
        )
    return ParsedSignedData(signed_data=signed, content_type=inner_type, content=content)


def _walk_signer_info(signer_info: cms.SignerInfo) -> None:
    _ = signer_info["version"].native, signer_info["sid"].native
    _ = signer_info["digest_algorithm"].native, signer_info["signature_algorithm"].native
    _ = signer_info["signature"].native
    for field in ("signed_attrs", "unsigned_attrs"):
        for attribute in signer_info[field]:
            # Values of attribute types verification never reads stay unparsed (Authenticode's
            # SpcSpOpusInfo holds structures asn1crypto has no schema for).
            name = attribute["type"].native
            if name in _TIMESTAMP_ATTRIBUTES:
                # Walked on a copy: reading a token's `.native` marks asn1crypto's tree as
                # mutated, and every later `.dump()` would re-encode it (slowly).
                for value in attribute["values"]:
                    _ = cms.ContentInfo.load(value.dump(), strict=True).native
            elif name in _READ_ATTRIBUTES:
                _ = attribute["values"].native


def _encapsulated_content(raw: core.Asn1Value) -> bytes | None:
    """The encapsulated content's bytes: the OCTET STRING's octets (CMS), the value's full
    DER (PKCS#7 v1 content of another type, as Authenticode uses), None if detached."""
    if isinstance(raw, core.Void) or raw.contents is None:
        return None
    if isinstance(raw, core.ParsableOctetString | core.OctetString):
        return bytes(raw.native)
    # An [0] EXPLICIT value of a type asn1crypto does not know: unwrap the tag by hand.
    class_, _method, tag, _header, contents, trailer = parser.parse(raw.dump(), strict=True)
    if class_ != 2 or tag != 0 or trailer:
        raise EvidenceError("CMS: expected the content in an [0] EXPLICIT tag", check="cms")
    return bytes(contents)


def parse_spc_indirect_data(content: bytes) -> SpcIndirectDataContent:
    """The Authenticode content; raises `EvidenceError` if it is not well-formed."""
    try:
        spc = SpcIndirectDataContent.load(content, strict=True)
        # SpcPeImageData's file link has no asn1crypto schema: only its bytes are read.
        _ = spc["data"]["type"].dotted, spc["data"]["value"].dump(), spc["message_digest"].native
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise EvidenceError(
            "Authenticode: SpcIndirectDataContent is truncated or malformed "
            f"({describe_der_problem(content)})",
            check="authenticode",
        ) from exc
    checked: SpcIndirectDataContent = spc
    return checked
