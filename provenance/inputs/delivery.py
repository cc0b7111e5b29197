"""A vendor delivery (a directory, a .zip, a .tar[.gz|.xz|.bz2], or one file), opened and
sorted into artifacts, evidence, documents, refused files and notes.

Fail closed: a regular file is an artifact (it needs a decision) unless it is positively
evidence, by its name (the conventions `assess` reads) or by its content (a Sigstore bundle,
a DSSE envelope, an SBOM, VEX, certificates, keys, CRLs, a trusted root: each parsed, not
guessed from a prefix), or documentation the policy declares (`delivery.documents`). A file
whose name says evidence or document but whose content runs or unpacks (`magic`) is refused,
as are links and special files in a directory delivery: each refused file denies the
delivery. Notes list what is not decided about for a good reason: the operator's own policy
file, an archive whose members are decided instead.

Archives are extracted into a private directory (`delivery_archive`); a directory delivery
is read in place and never written to. An archive inside the delivery with evidence of its
own beside it (`X.zip.sigstore.json`, a signed SHA256SUMS) is an artifact like any file: its
signature covers its members. One without is a container: it is expanded (to
`MAX_NESTING_DEPTH` archive levels, deeper refuses) and its files are named `X.zip!/member`.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

from provenance.errors import InputError
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.evidence.sigstore_bundle import MAX_BUNDLE_BYTES
from provenance.inputs.artifact import file_argument, snapshot
from provenance.inputs.delivery_archive import (
    Budget,
    DeliveryRefused,
    Limits,
    archive_kind,
    extract_archive,
)
from provenance.inputs.magic import runnable_content
from provenance.verification.evidence_set import (
    FolderListing,
    classify_evidence,
    discover_evidence,
)
from provenance.verification.matching import Pattern
from provenance.verification.vendor_signatures import CHECKSUM_LIST_NAMES

__all__ = [
    "ATTACHED_KINDS",
    "EVIDENCE_KINDS",
    "DeliveredFile",
    "Delivery",
    "DeliveryKind",
    "EvidenceFile",
    "Unrecognised",
    "evidence_kind",
    "open_delivery",
]

DeliveryKind = Literal["directory", "zip", "tar", "file"]

# Public evidence kinds (the report's vocabulary) for `classify_evidence`'s kinds.
_PUBLIC_KIND = {
    "bundle": "sigstore-bundle",
    "list-bundle": "sigstore-bundle",
    "envelope": "dsse-envelope",
    "jsonl": "attestations-jsonl",
    "detached": "detached-signature",
    "layout": "in-toto-layout",
    "sbom": "sbom",
    "sbom-signature": "sbom-signature",
    "vex": "vex",
}
# Evidence that belongs to an artifact: unused, it is listed as unrecognised.
ATTACHED_KINDS = frozenset(_PUBLIC_KIND.values())
# Evidence that other evidence reads (lists, links, CRLs), and trust material, which a
# delivery may carry but which is never trusted from it (trust comes from the policy).
_SUPPORTING_KINDS = (
    "checksum-list",
    "in-toto-link",
    "crl",
    "certificate",
    "public-key",
    "openpgp-public-key",
    "sigstore-trusted-root",
)
EVIDENCE_KINDS = (*sorted(ATTACHED_KINDS), *_SUPPORTING_KINDS)

# Names under which a file may be evidence by its content (bundles, envelopes, SBOMs, VEX,
# certificates, keys, CRLs and trust roots under names no convention knows).
BY_CONTENT_NAMES = (
    ".json",
    ".jsonl",
    ".pem",
    ".crt",
    ".cer",
    ".der",
    ".crl",
    ".pub",
    ".key",
    ".asc",
    ".gpg",
)
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2")
MAX_SNIFF_BYTES = MAX_BUNDLE_BYTES  # larger files are not sniffed: they are artifacts
MAX_TRUST_FILE_BYTES = 1024 * 1024  # a certificate, key or CRL file
_DER_SUFFIXES = (".der", ".cer", ".crt", ".crl")
_PGP_KEY_ARMOR = b"-----BEGIN PGP PUBLIC KEY BLOCK-----"
_PEM_FILE = re.compile(
    rb"\s*(?:-----BEGIN ([A-Z0-9 ]+)-----\s+[A-Za-z0-9+/=\s]+-----END \1-----\s*)+"
)


@dataclass(frozen=True)
class DeliveredFile:
    """An artifact: `name` relative to the delivery root (`/`-separated), `path` to read."""

    name: str
    path: Path


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    path: Path
    kind: str
    # SHA-256 digests (hex) the document names as its subject, when it was recognised by
    # content rather than by name: unverified, used only to hand it to the right artifact.
    subjects: tuple[str, ...] = ()
    by_content: bool = False


@dataclass(frozen=True)
class Unrecognised:
    name: str
    reason: str


@dataclass(frozen=True)
class Delivery:
    path: str  # as the operator gave it
    kind: DeliveryKind
    sha256: str | None  # of the archive file (None for a directory)
    artifacts: tuple[DeliveredFile, ...]
    evidence: tuple[EvidenceFile, ...]
    # Not decided about, for a reason that does not deny (see the module docstring).
    unrecognised: tuple[Unrecognised, ...]
    # (real folder, name prefix): turns the paths evidence reports carry into delivery names.
    renames: tuple[tuple[str, str], ...]
    documents: tuple[str, ...] = ()  # names of declared documentation: not vetted
    refused: tuple[Unrecognised, ...] = ()  # files that deny the delivery, with why
    # Each folder walked, listed once (by its path): evidence is looked up here by name.
    listings: Mapping[str, FolderListing] = field(default_factory=dict, compare=False)

    def evidence_beside(self, artifact: DeliveredFile) -> list[Path]:
        """`discover_evidence` for an artifact, from its folder's listing (no new listing)."""
        return discover_evidence(artifact.path, self.listings.get(str(artifact.path.parent)))


@dataclass
class _Sorted:
    artifacts: list[DeliveredFile] = field(default_factory=list)
    evidence: list[EvidenceFile] = field(default_factory=list)
    unrecognised: list[Unrecognised] = field(default_factory=list)
    renames: list[tuple[str, str]] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    refused: list[Unrecognised] = field(default_factory=list)


def open_delivery(
    path: Path,
    scratch: Path,
    *,
    limits: Limits | None = None,
    operator_files: Mapping[Path, str] | None = None,
    documents: Sequence[Pattern] = (),
) -> Delivery:
    """Open the delivery at `path`; archives are copied and extracted below `scratch`.

    `operator_files`: resolved paths that are the operator's (the policy) with why they are
    not decided about. `documents`: globs of the policy's `delivery.documents` (a glob with
    no `/` matches a file name in any folder, else the path in the delivery). Raises
    `InputError` if `path` cannot be read, `DeliveryRefused` if an archive in it is unsafe or
    over a limit.
    """
    limits = limits or Limits()
    budget = Budget(limits)
    walker = _Walker(scratch, budget, operator_files or {}, documents)
    if path.is_dir():
        root = path.resolve()
        walker.walk(root, "", depth=0)
        return walker.delivery(str(path), "directory", None)
    file_argument(str(path))  # exists, and is a regular file
    copy_folder = scratch / "delivery"
    copy_folder.mkdir(mode=0o700)
    # The archive is hashed as it is copied: the bytes extracted are the bytes reported.
    copy = snapshot(str(path), copy_folder)
    assert copy.path is not None
    kind = archive_kind(copy.path)
    if kind is None:
        walker.single(path.resolve())
        return walker.delivery(str(path), "file", copy.sha256.hex())
    into = walker.fresh_folder()
    extract_archive(copy.path, into, where=path.name, budget=budget)
    copy.path.unlink()
    walker.walk(into, "", depth=1)
    return walker.delivery(str(path), kind, copy.sha256.hex())


def evidence_kind(path: Path) -> str | None:
    """The evidence kind of one file (by name, else by content); None if it is not evidence."""
    kind = _Walker.evidence_kind(path)
    if kind is not None:
        return kind
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    sniffed = _sniff(path, size)
    return sniffed[0] if sniffed is not None else None


class _Walker:
    def __init__(
        self,
        scratch: Path,
        budget: Budget,
        operator: Mapping[Path, str],
        documents: Sequence[Pattern],
    ) -> None:
        self.scratch, self.budget, self.operator = scratch, budget, operator
        # A regular file's resolved path keeps its name: only these names need resolving.
        self.operator_names = frozenset(path.name for path in operator)
        self.documents = documents
        self.found = _Sorted()
        self.folders = 0
        self.listings: dict[str, FolderListing] = {}

    def delivery(self, given: str, kind: DeliveryKind, sha256: str | None) -> Delivery:
        found = self.found
        return Delivery(
            path=given,
            kind=kind,
            sha256=sha256,
            artifacts=tuple(sorted(found.artifacts, key=lambda item: item.name)),
            evidence=tuple(sorted(found.evidence, key=lambda item: item.name)),
            unrecognised=tuple(sorted(found.unrecognised, key=lambda item: item.name)),
            renames=tuple(found.renames),
            documents=tuple(sorted(found.documents)),
            refused=tuple(sorted(found.refused, key=lambda item: item.name)),
            listings=dict(self.listings),
        )

    def is_document(self, name: str) -> bool:
        base = name.rpartition("/")[2]
        return any(glob.matches(name if "/" in glob.text else base) for glob in self.documents)

    def fresh_folder(self) -> Path:
        self.folders += 1
        folder = self.scratch / f"x{self.folders}"
        folder.mkdir(mode=0o700)
        return folder

    def single(self, file: Path) -> None:
        """A delivery of one file: it is the artifact, with the evidence beside it."""
        self.found.renames.append((str(file.parent), ""))
        self.found.artifacts.append(DeliveredFile(file.name, file))
        for evidence in discover_evidence(file):
            kind = self.evidence_kind(evidence)
            if kind is not None:
                self.found.evidence.append(EvidenceFile(evidence.name, evidence, kind))

    def walk(self, root: Path, prefix: str, *, depth: int) -> None:
        self.found.renames.append((str(root), prefix))
        for entry, name in _entries(root, prefix, self.listings):
            self.entry(entry, name, depth)

    def entry(self, entry: os.DirEntry[str], name: str, depth: int) -> None:
        path = Path(entry.path)
        found = self.found
        if entry.is_symlink():
            target = os.readlink(entry.path)
            found.refused.append(Unrecognised(name, f"a symbolic link to {target!r}: not followed"))
            return
        info = entry.stat(follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            found.refused.append(
                Unrecognised(name, "a device, FIFO or socket, expected a regular file")
            )
            return
        self.budget.add_file(name)
        reason = self.operator.get(path.resolve()) if path.name in self.operator_names else None
        if reason is not None:
            found.unrecognised.append(Unrecognised(name, reason))
            return
        if (
            name.endswith(ARCHIVE_SUFFIXES)
            and archive_kind(path) is not None
            and not discover_evidence(path, self.listings[str(path.parent)])
        ):
            self.container(path, name, depth)
            return
        kind = self.evidence_kind(path)
        claimed = kind or ("document" if self.is_document(name) else None)
        if claimed is not None:
            runnable = runnable_content(path)
            if runnable is not None:
                found.refused.append(
                    Unrecognised(name, f"named as {claimed}, but its content is {runnable}")
                )
            elif kind is not None:
                found.evidence.append(EvidenceFile(name, path, kind))
            else:
                found.documents.append(name)
            return
        # Content decides only under a name evidence is shipped as: `install.cmd` holding
        # JSON that reads as a trusted root is still something Windows runs.
        sniffed = _sniff(path, info.st_size) if name.lower().endswith(BY_CONTENT_NAMES) else None
        if sniffed is None:
            found.artifacts.append(DeliveredFile(name, path))
            return
        kind, subjects = sniffed
        found.evidence.append(EvidenceFile(name, path, kind, subjects, by_content=True))

    def container(self, archive: Path, name: str, depth: int) -> None:
        """An archive without evidence of its own: its members are what is decided about."""
        limit = self.budget.limits.max_depth
        if depth + 1 > limit:
            raise DeliveryRefused(f"{name}: archives nested deeper than {limit} levels")
        into = self.fresh_folder()
        extract_archive(archive, into, where=name, budget=self.budget)
        self.found.unrecognised.append(
            Unrecognised(
                name,
                f"an archive without evidence of its own: expanded, its files are listed "
                f"as {name}!/...",
            )
        )
        self.walk(into, f"{name}!/", depth=depth + 1)

    @staticmethod
    def evidence_kind(path: Path) -> str | None:
        """Evidence by its name (the verifier's conventions, and what other evidence reads)."""
        name = path.name
        if name.endswith(".asc") and _starts_with(path, _PGP_KEY_ARMOR):
            return "openpgp-public-key"
        kind = classify_evidence(path)
        if kind is not None:
            return _PUBLIC_KIND[kind]
        if name in CHECKSUM_LIST_NAMES or name.endswith((".sha256", ".sha512")):
            return "checksum-list"
        if name.endswith(".link"):
            return "in-toto-link"
        return None


def _entries(
    root: Path, prefix: str, listings: dict[str, FolderListing]
) -> Iterator[tuple[os.DirEntry[str], str]]:
    """Every entry below `root` (links not followed), in name order; each folder's listing
    is kept in `listings` before its entries are yielded."""
    try:
        with os.scandir(root) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        raise InputError(f"{root}: cannot read the delivery: {exc.strerror or exc}") from exc
    listings[str(root)] = FolderListing.from_entries(root, entries)
    for entry in entries:
        name = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _entries(Path(entry.path), name + "/", listings)
        else:
            yield entry, name


def _starts_with(path: Path, magic: bytes) -> bool:
    return _head(path, len(magic)) == magic


def _sniff(path: Path, size: int) -> tuple[str, tuple[str, ...]] | None:
    """(kind, subject digests) of evidence recognised by content; None: an artifact."""
    der = path.name.lower().endswith(_DER_SUFFIXES)
    head = _head(path, 64).lstrip()
    if head[:1] == b"{" and size <= MAX_SNIFF_BYTES:
        return _sniff_json(path, _read(path))
    if (head.startswith(b"-----BEGIN ") or der) and size <= MAX_TRUST_FILE_BYTES:
        kind = _trust_material(_read(path), der=der)
        return (kind, ()) if kind is not None else None
    return None


def _head(path: Path, count: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(count)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _sniff_json(path: Path, data: bytes) -> tuple[str, tuple[str, ...]] | None:
    kind = classify_evidence(path, data)
    if kind is not None:
        return _PUBLIC_KIND[kind], _subjects(data)
    try:
        document = load_json(data)
    except MalformedJson:
        return None
    kind = _json_document_kind(document) if isinstance(document, dict) else None
    return (kind, ()) if kind is not None else None


def _json_document_kind(document: dict[str, Any]) -> str | None:
    """Trust roots, SBOMs, VEX and key files, by the fields that define them."""
    media_type = str(document.get("mediaType", ""))
    keyval = document.get("keyval")
    checks = (
        (
            "sigstore-trusted-root",
            media_type.startswith("application/vnd.dev.sigstore.trustedroot"),
        ),
        ("sbom", document.get("bomFormat") == "CycloneDX" or "spdxVersion" in document),
        ("vex", str(document.get("@context", "")).startswith("https://openvex.dev/")),
        # a securesystemslib public key file (a private key is never evidence)
        (
            "public-key",
            "keytype" in document and isinstance(keyval, dict) and "private" not in keyval,
        ),
    )
    return next((kind for kind, matches in checks if matches), None)


def _subjects(data: bytes) -> tuple[str, ...]:
    """The SHA-256 digests a bundle or envelope says it is about (unverified routing only)."""
    try:
        document = load_json(data)
    except MalformedJson:
        return ()
    if not isinstance(document, dict):
        return ()
    message = document.get("messageSignature")
    if isinstance(message, dict):
        digest = message.get("messageDigest")
        if isinstance(digest, dict) and digest.get("algorithm") == "SHA2_256":
            return tuple(_hex(digest.get("digest")))
    envelope = document.get("dsseEnvelope", document)
    if not isinstance(envelope, dict):
        return ()
    statement = _decoded_json(envelope.get("payload"))
    subjects = statement.get("subject") if isinstance(statement, dict) else None
    if not isinstance(subjects, list):
        return ()
    found = [
        subject["digest"]["sha256"]
        for subject in subjects
        if isinstance(subject, dict)
        and isinstance(subject.get("digest"), dict)
        and isinstance(subject["digest"].get("sha256"), str)
    ]
    return tuple(digest.lower() for digest in found)


def _hex(encoded: Any) -> list[str]:
    if not isinstance(encoded, str):
        return []
    try:
        return [base64.b64decode(encoded, validate=True).hex()]
    except binascii.Error:
        return []


def _decoded_json(encoded: Any) -> Any:
    if not isinstance(encoded, str):
        return None
    try:
        return load_json(base64.b64decode(encoded, validate=True))
    except (binascii.Error, MalformedJson):
        return None


def _trust_material(data: bytes, *, der: bool) -> str | None:
    """Certificates, public keys and CRLs, each parsed in full (not guessed from a header);
    a PEM file must hold nothing but PEM blocks (no payload after the END line)."""
    if data.lstrip().startswith(_PGP_KEY_ARMOR):
        ok = data.rstrip().endswith(b"-----END PGP PUBLIC KEY BLOCK-----")
        return "openpgp-public-key" if ok else None
    loaders: tuple[tuple[str, Any], ...]
    if _PEM_FILE.fullmatch(data):
        loaders = (
            ("certificate", x509.load_pem_x509_certificates),
            ("crl", x509.load_pem_x509_crl),
            ("public-key", load_pem_public_key),
        )
    elif der:
        loaders = (
            ("certificate", x509.load_der_x509_certificate),
            ("crl", x509.load_der_x509_crl),
            ("public-key", load_der_public_key),
        )
    else:
        return None
    for kind, load in loaders:
        try:
            load(data)
        except (ValueError, TypeError):
            continue
        return kind
    return None
