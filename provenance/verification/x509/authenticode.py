"""Authenticode signatures embedded in Windows PE files (.exe, .dll, .sys).

Why our own code and not signify 0.9.3: it pulls oscrypto and certvalidator (both
unreleased since 2022), and oscrypto cannot parse two-digit OpenSSL patch versions: measured
here, `from signify.authenticode import SignedPEFile` fails with "LibraryNotFoundError: Error
detecting the version of libcrypto" on OpenSSL 3.0.19. It also validates against Microsoft's
root store by default (we pin vendor roots) and its errors are not ours to word.
What Authenticode adds to CMS is small: a PE parser (`provenance.evidence.pe_file`), the
image hash, and SpcIndirectDataContent; the signer, timestamp, path and revocation checks are
the same as for detached CMS (`signed_data`).

Not checked, and said so in the result: page hashes (SpcSerializedObject in SpcPeImageData);
the whole-image hash verified here covers every byte they would. The PE CheckSum field is
excluded from the hash by design and is not checked (Windows checks it only for drivers).
Dual signatures (SignedData nested in the primary's unsigned attribute
1.3.6.1.4.1.311.2.4.1) are each verified on their own; the strongest that verifies counts.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from asn1crypto import core, parser
from cryptography import x509

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.cms import (
    SPC_INDIRECT_DATA,
    SPC_NESTED_SIGNATURE,
    SPC_PE_IMAGE_DATA,
    ParsedSignedData,
    parse_signed_data,
    parse_spc_indirect_data,
    reading_der,
)
from provenance.evidence.pe_file import PeLayout, authenticode_digest, parse_pe, read_signature
from provenance.inputs.files import read_bounded
from provenance.verification.x509.result import X509SignatureResult
from provenance.verification.x509.revocation import CrlFile
from provenance.verification.x509.signed_data import SignedContent, verify_signed_data
from provenance.verification.x509.signer import X509Signer
from provenance.verification.x509.signer_info import DIGEST_STRENGTH, check_digest_algorithm

__all__ = ["MAX_PE_FILE_BYTES", "verify_authenticode", "verify_authenticode_file"]

# Engineering-workstation installers run to hundreds of MiB; the image is hashed in memory.
MAX_PE_FILE_BYTES = 1024 * 1024 * 1024
# SpcSerializedObject class id that carries page hashes (in SpcPeImageData's file link).
# Dual-signed files carry one nested signature; a few tools add one per digest algorithm.
MAX_NESTED_SIGNATURES = 4
_PAGE_HASHES_CLASS_ID = bytes.fromhex("a6b586d5b4a12466ae05a217da8e60d6")


class UnsignedPeFile(VerificationFailure):
    """The PE file carries no Authenticode signature at all (never signed, or stripped)."""


def _nested(parsed: ParsedSignedData) -> list[ParsedSignedData]:
    """The signatures nested in the primary's SignerInfos (unsigned attribute
    1.3.6.1.4.1.311.2.4.1), in order; each is a whole Authenticode SignedData of its own."""
    nested: list[ParsedSignedData] = []
    der = parsed.signed_data.dump()
    for info in parsed.signed_data["signer_infos"]:
        unsigned = info["unsigned_attrs"]
        if isinstance(unsigned, core.Void):
            continue
        for attribute in unsigned:
            if attribute["type"].dotted != SPC_NESTED_SIGNATURE:
                continue
            # The nested SignedData is read here first (asn1crypto parses lazily).
            with reading_der("Authenticode nested signature", der):
                values = [value.dump() for value in attribute["values"]]
            for value in values:
                if len(nested) == MAX_NESTED_SIGNATURES:
                    raise EvidenceError(
                        f"Authenticode: expected at most {MAX_NESTED_SIGNATURES} nested "
                        "signatures, got more",
                        check="authenticode",
                    )
                label = f"Authenticode nested signature {len(nested) + 1}"
                nested.append(parse_signed_data(value, label))
    return nested


def _strength(result: X509SignatureResult) -> tuple[int, int]:
    """Which verified signature counts: the strongest digest, then a trusted signing time."""
    return (DIGEST_STRENGTH[result.digest_algorithm], result.validation_time_source != "now")


def verify_authenticode(
    image: bytes,
    signers: Sequence[X509Signer],
    *,
    now: datetime,
    crls: Sequence[CrlFile] = (),
    tsa_roots: Sequence[x509.Certificate] = (),
    online: bool = False,
) -> X509SignatureResult:
    """Verify the Authenticode signatures of a PE image against the signer rules.

    1. Parse the PE headers (bounds-checked); the certificate table must exist, end the file
       (nothing appended) and hold one WIN_CERTIFICATE (revision 2.0, PKCS_SIGNED_DATA)
       whose SignedData may be followed by the zero padding signing tools count in it.
    2. The primary SignedData and the signatures nested in it (dual signing: SHA-1 primary,
       SHA-256 nested, as Windows tools did from 2016 to 2019).
    3. Each on its own (`_verify_one`); the strongest that verifies counts (digest, then a
       trusted signing time), and the outcome of every one is in the result's notes.
    """
    # 1.
    layout = parse_pe(image)
    if layout.certificate_table is None:
        raise UnsignedPeFile(
            "this file carries no Authenticode signature (no certificate table: never signed, "
            "or the signature was stripped)",
            check="authenticode",
        )
    offset, size = layout.certificate_table
    # 2.
    primary = parse_signed_data(read_signature(image[offset : offset + size]), "Authenticode")
    signatures = [primary, *_nested(primary)]
    # 3.
    verified: list[tuple[int, X509SignatureResult]] = []
    outcomes: list[str] = []
    failures: list[VerificationFailure] = []
    for index, parsed in enumerate(signatures):
        label = "primary signature" if index == 0 else f"nested signature {index}"
        try:
            result = _verify_one(
                parsed, image, layout, signers,
                now=now, crls=crls, tsa_roots=tsa_roots, online=online,
            )  # fmt: skip
        except VerificationFailure as failure:
            failures.append(failure)
            outcomes.append(f"{label}: {failure}")
            continue
        verified.append((index, result))
        outcomes.append(f"{label}: verified ({result.digest_algorithm})")
    if not verified:
        if len(signatures) == 1:
            raise failures[0]
        raise VerificationFailure(
            "no Authenticode signature verified: " + "; ".join(outcomes), check="authenticode"
        )
    index, best = max(verified, key=lambda pair: (_strength(pair[1]), -pair[0]))
    counted = "primary signature" if index == 0 else f"nested signature {index}"
    notes = (*best.notes, f"{counted} counted") if len(signatures) > 1 else best.notes
    others = tuple(o for o in outcomes if len(signatures) > 1)
    return replace(best, notes=(*notes, *others))


def _verify_one(
    parsed: ParsedSignedData,
    image: bytes,
    layout: PeLayout,
    signers: Sequence[X509Signer],
    *,
    now: datetime,
    crls: Sequence[CrlFile],
    tsa_roots: Sequence[x509.Certificate],
    online: bool,
) -> X509SignatureResult:
    """One Authenticode SignedData (primary or nested) on its own.

    1. Its content must be SpcIndirectDataContent about a PE image (SpcPeImageData) with a
       SHA-2 image digest.
    2. Recompute the image hash (all bytes before the certificate table but the CheckSum and
       the certificate directory entry) and compare.
    3. Verify the SignerInfo as for detached CMS, over SpcIndirectDataContent: messageDigest,
       signature, trusted signing time (an RFC 3161 token under id-aa-timeStampToken or
       Microsoft's 1.3.6.1.4.1.311.3.3.1, or a legacy PKCS#9 countersignature), path to a
       pinned root with the rule's EKUs (codeSigning), subject, revocation.
    """
    # 1.
    if parsed.content_type != SPC_INDIRECT_DATA or parsed.content is None:
        raise EvidenceError(
            f"Authenticode: expected SpcIndirectDataContent ({SPC_INDIRECT_DATA}), got "
            f"{parsed.content_type}",
            check="authenticode",
        )
    spc = parse_spc_indirect_data(parsed.content)
    data_type = spc["data"]["type"].dotted
    if data_type != SPC_PE_IMAGE_DATA:
        raise EvidenceError(
            f"Authenticode: expected SpcPeImageData ({SPC_PE_IMAGE_DATA}), got {data_type}",
            check="authenticode",
        )
    image_algorithm = spc["message_digest"]["digest_algorithm"]["algorithm"].native
    check_digest_algorithm(image_algorithm, "Authenticode image")
    # 2.
    actual = authenticode_digest(image, layout, image_algorithm)
    if not hmac.compare_digest(actual, spc["message_digest"]["digest"].native):
        raise VerificationFailure(
            f"Authenticode image digest ({image_algorithm}) does not match the file: it was "
            "changed after signing",
            check="digest",
        )
    # 3. The messageDigest covers SpcIndirectDataContent's value without its tag and length,
    #    as sent (read from the original bytes, never from a re-encoding).
    spc_value = parser.parse(parsed.content, strict=True)[4]

    def digest(name: str) -> bytes:
        return hashlib.new(name, spc_value).digest()

    result = verify_signed_data(
        parsed,
        SignedContent(
            content_type=SPC_INDIRECT_DATA,
            digest=digest,
            artifact_sha256=hashlib.sha256(image).hexdigest(),
        ),
        signers,
        kind="authenticode",
        now=now,
        crls=crls,
        tsa_roots=tsa_roots,
        online=online,
    )
    page_hashes = _PAGE_HASHES_CLASS_ID in spc["data"]["value"].dump()
    note = (
        "page hashes present, not checked (the whole-image hash was verified)"
        if page_hashes
        else "no page hashes"
    )
    return replace(result, notes=(*result.notes, note))


def verify_authenticode_file(
    path: Path,
    signers: Sequence[X509Signer],
    *,
    now: datetime,
    crls: Sequence[CrlFile] = (),
    tsa_roots: Sequence[x509.Certificate] = (),
    online: bool = False,
) -> X509SignatureResult:
    """`verify_authenticode` on a file; `InputError` if unreadable, failure if too large."""
    image = read_bounded(path, MAX_PE_FILE_BYTES, "a PE file")
    if image is None:
        raise VerificationFailure(
            f"{path}: expected a PE file of at most {MAX_PE_FILE_BYTES} bytes", check="pe"
        )
    return verify_authenticode(
        image, signers, now=now, crls=crls, tsa_roots=tsa_roots, online=online
    )
