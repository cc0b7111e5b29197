"""Every kind of evidence the gate reads, in one registry: how a file is recognised (by its
name, by its JSON content, by its bytes), how large it may be, what it is called in reports,
whether it belongs to one artifact, and how it becomes facts. The evidence set, `vet`'s
sorting of a delivery and the reports ask this registry; nothing else dispatches on a kind.

Order matters: the first kind whose name rule matches wins (an `.asc` holding a public key
before a signature, a signature over an SBOM before a signature, a bundle over a checksum
list before a bundle); by content, the first whose shape matches. Adding a kind:
docs/architecture.md, "Adding an evidence kind".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.errors import InputError, ProvenanceError
from provenance.evidence import document_shapes as shapes
from provenance.evidence.checksum_list import MAX_CHECKSUM_LIST_BYTES, parse_checksum_list
from provenance.evidence.in_toto_metadata import parse_link, read_metadata
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.evidence.routing import claimed_subjects
from provenance.evidence.sigstore_bundle import BUNDLE_SUFFIXES, MAX_BUNDLE_BYTES
from provenance.evidence.trust_material import DER_SUFFIXES, PGP_KEY_ARMOR, trust_material_kind
from provenance.inputs.files import read_bounded
from provenance.verification import evidence_handlers as handle
from provenance.verification import pep740
from provenance.verification.evidence_kind import EvidenceKind
from provenance.verification.sbom_binding import (
    FOLDER_SBOMS,
    MAX_SBOM_BYTES,
    MAX_VEX_BYTES,
    SBOM_SUFFIXES,
    VEX_SUFFIXES,
)
from provenance.verification.vendor_layouts import LAYOUT_SUFFIX
from provenance.verification.vendor_signatures import (
    CHECKSUM_LIST_NAMES,
    DETACHED_SUFFIXES,
    signed_target,
)

__all__ = [
    "BY_CONTENT_NAMES",
    "KINDS",
    "EvidenceKind",
    "Recognised",
    "attached_labels",
    "by_name",
    "by_routed_content",
    "check_supporting",
    "kind",
    "label_of",
    "recognise",
]

# A `.jsonl` of attestations may hold many; each line is still one bounded document.
MAX_JSONL_BYTES = 64 * 1024 * 1024
MAX_TRUST_FILE_BYTES = 1024 * 1024  # a certificate, key or CRL file
# Names under which a file may be evidence by its content (bundles, envelopes, SBOMs, VEX,
# certificates, keys, CRLs and trust roots under names no convention knows): content decides
# nothing under a name a system runs (`install.cmd` holding JSON is still a script).
BY_CONTENT_NAMES = (".json", ".jsonl", ".pem", ".crt", ".cer", ".der", ".crl", ".pub",
                    ".key", ".asc", ".gpg")  # fmt: skip


def _ends(*suffixes: str) -> Callable[[Path], bool]:
    return lambda path: path.name.endswith(suffixes)


def _signs_sbom(path: Path) -> bool:
    target = signed_target(path)
    return target is not None and (
        target.name.endswith((*SBOM_SUFFIXES, *VEX_SUFFIXES)) or target.name in FOLDER_SBOMS
    )


def _signs_list(path: Path) -> bool:
    target = signed_target(path)
    return (
        path.name.endswith(BUNDLE_SUFFIXES)
        and target is not None
        and (target.name in CHECKSUM_LIST_NAMES)
    )


def _openpgp_key_by_name(path: Path) -> bool:
    return path.name.endswith(".asc") and _head(path, len(PGP_KEY_ARMOR)) == PGP_KEY_ARMOR


def _material(expected: str) -> Callable[[bytes, Path], bool]:
    def matches(data: bytes, path: Path) -> bool:
        der = path.name.lower().endswith(DER_SUFFIXES)
        return trust_material_kind(data, der=der) == expected

    return matches


def _check_list(path: Path, name: str) -> None:
    data = read_bounded(path, MAX_CHECKSUM_LIST_BYTES, "checksum list")
    parse_checksum_list(data or b"", name)


def _check_link(path: Path, _name: str) -> None:
    parse_link(read_metadata(path))


KINDS: tuple[EvidenceKind, ...] = (
    EvidenceKind(
        "openpgp-public-key", "openpgp-public-key", "an OpenPGP public key (trust material)",
        by_name=_openpgp_key_by_name, by_bytes=_material("openpgp-public-key"),
    ),
    EvidenceKind(
        "sbom-signature", "sbom-signature",
        "a signature over the SBOM or VEX file it is named after",
        by_name=_signs_sbom, verify=handle.sbom_signature, attached=True,
    ),
    EvidenceKind(
        "list-bundle", "sigstore-bundle", "a Sigstore bundle over a signed checksum list",
        by_name=_signs_list, verify=handle.list_bundle, attached=True,
    ),
    EvidenceKind(
        "bundle", "sigstore-bundle",
        "a Sigstore bundle: a signature with its transparency-log entry",
        by_name=_ends(*BUNDLE_SUFFIXES), by_json=shapes.is_sigstore_bundle,
        verify=handle.bundle, attached=True, routes=True,
    ),
    EvidenceKind(
        "envelope", "dsse-envelope",
        "a DSSE envelope: an attestation by a vendor key, or a staff approval",
        by_json=shapes.is_dsse_envelope, verify=handle.envelope, attached=True, routes=True,
    ),
    EvidenceKind(
        "sigstore-trusted-root", "sigstore-trusted-root", "a Sigstore trusted root",
        by_json=shapes.is_trusted_root,
    ),
    EvidenceKind(
        "detached", "detached-signature",
        "a detached OpenPGP, CMS or key signature over the file it is named after",
        by_name=_ends(*DETACHED_SUFFIXES), verify=handle.detached, attached=True,
    ),
    EvidenceKind(
        "layout", "in-toto-layout", "an in-toto layout, with its links beside it",
        by_name=_ends(LAYOUT_SUFFIX), verify=handle.layout, attached=True,
    ),
    EvidenceKind(
        "sbom", "sbom", "an SBOM (CycloneDX or SPDX)",
        by_name=lambda path: path.name.endswith(SBOM_SUFFIXES) or path.name in FOLDER_SBOMS,
        by_json=shapes.is_sbom, verify=handle.sbom_file, attached=True, max_bytes=MAX_SBOM_BYTES,
    ),
    EvidenceKind(
        "vex", "vex", "a VEX document (CycloneDX or OpenVEX)",
        by_name=_ends(*VEX_SUFFIXES), by_json=shapes.is_openvex, verify=handle.vex_file,
        attached=True, max_bytes=MAX_VEX_BYTES,
    ),
    EvidenceKind(
        "jsonl", "attestations-jsonl", "Sigstore bundles or DSSE envelopes, one per line",
        by_name=_ends(".jsonl"), verify=handle.jsonl, attached=True, max_bytes=MAX_JSONL_BYTES,
    ),
    pep740.KIND,
    EvidenceKind(
        "checksum-list", "checksum-list", "a checksum list (read by its signature)",
        by_name=lambda path: path.name in CHECKSUM_LIST_NAMES
        or path.name.endswith((".sha256", ".sha512")),
        check=_check_list,
    ),
    EvidenceKind(
        "in-toto-link", "in-toto-link", "an in-toto link (read by its layout)",
        by_name=_ends(".link"), check=_check_link,
    ),
    EvidenceKind(
        "key-file", "public-key", "a public key file (securesystemslib)",
        by_json=shapes.is_key_file,
    ),
    EvidenceKind(
        "certificate", "certificate", "an X.509 certificate (trust material)",
        by_bytes=_material("certificate"), max_bytes=MAX_TRUST_FILE_BYTES,
    ),
    EvidenceKind(
        "crl", "crl", "an X.509 certificate revocation list", by_bytes=_material("crl"),
        max_bytes=MAX_TRUST_FILE_BYTES,
    ),
    EvidenceKind(
        "public-key", "public-key", "a public key (PEM or DER)",
        by_bytes=_material("public-key"), max_bytes=MAX_TRUST_FILE_BYTES,
    ),
)  # fmt: skip
_BY_KEY = {each.key: each for each in KINDS}
assert len(_BY_KEY) == len(KINDS), "evidence kind keys are unique"


def kind(key: str) -> EvidenceKind:
    return _BY_KEY[key]


def attached_labels() -> frozenset[str]:
    """The report words of evidence that belongs to an artifact."""
    return frozenset(each.label for each in KINDS if each.attached)


def by_name(path: Path) -> EvidenceKind | None:
    """The kind a file's name says it is (the conventions; an `.asc` is looked into to tell
    a public key from a signature); None when only its content can tell."""
    return next((each for each in KINDS if each.by_name is not None and each.by_name(path)), None)


def _by_document(document: dict[str, Any], *, routed_only: bool) -> EvidenceKind | None:
    for each in KINDS:
        if each.by_json is not None and (each.routes or not routed_only) and each.by_json(document):
            return each
    return None


def by_routed_content(data: bytes) -> EvidenceKind | None:
    """Evidence an artifact's assessment takes by content alone: only kinds that name their
    subject (a bundle, an envelope), since nothing else says which artifact it is about."""
    try:
        document = load_json(data)
    except MalformedJson:
        return None
    return _by_document(document, routed_only=True) if isinstance(document, dict) else None


@dataclass(frozen=True)
class Recognised:
    kind: EvidenceKind
    subjects: tuple[str, ...] = ()  # digests it names (unverified: for routing only)


def recognise(path: Path, size: int) -> Recognised | None:
    """A file of a delivery that no name rule claimed, by its content: JSON documents up to
    a bundle's size, PEM/DER/OpenPGP trust material up to a key file's; None: an artifact."""
    der = path.name.lower().endswith(DER_SUFFIXES)
    head = _head(path, 64).lstrip()
    if head[:1] == b"{" and size <= MAX_BUNDLE_BYTES:
        data = _read(path)
        try:
            document = load_json(data)
        except MalformedJson:
            return None
        if not isinstance(document, dict):
            return None
        found = _by_document(document, routed_only=False)
        if found is None:
            return None
        return Recognised(found, claimed_subjects(document) if found.routes else ())
    if (head.startswith(b"-----BEGIN ") or der) and size <= MAX_TRUST_FILE_BYTES:
        data = _read(path)
        material = next(
            (each for each in KINDS if each.by_bytes is not None and each.by_bytes(data, path)),
            None,
        )
        return Recognised(material) if material is not None else None
    return None


def label_of(path: Path) -> str | None:
    """The report word for one file (by name, else by content); None if it is not evidence."""
    named = by_name(path)
    if named is not None:
        return named.label
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    found = recognise(path, size)
    return found.kind.label if found is not None else None


def check_supporting(path: Path, name: str) -> str | None:
    """Why a supporting file named as a list or a link is not one; None if it parses."""
    named = by_name(path)
    if named is None or named.check is None:
        return None
    try:
        named.check(path, name)
    except ProvenanceError as problem:
        return f"named as {named.label}, but it is not one: {problem}"
    return None


def _head(path: Path, count: int) -> bytes:
    try:
        with path.open("rb") as handle_:
            return handle_.read(count)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
