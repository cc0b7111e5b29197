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

import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from provenance.errors import InputError
from provenance.inputs.artifact import file_argument, snapshot
from provenance.inputs.delivery_archive import (
    Budget,
    DeliveryRefused,
    Limits,
    archive_kind,
    extract_archive,
)
from provenance.inputs.listing import FolderListing
from provenance.inputs.magic import runnable_content

__all__ = [
    "ARCHIVE_SUFFIXES",
    "DeliveredFile",
    "Delivery",
    "DeliveryKind",
    "EvidenceFile",
    "EvidenceRecognition",
    "NameGlob",
    "Unrecognised",
    "open_delivery",
]

DeliveryKind = Literal["directory", "zip", "tar", "file"]
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2")


class EvidenceRecognition(Protocol):
    """What a file of the delivery is, as the evidence registry says
    (`verification.evidence_set.DELIVERY_RECOGNITION`). Given by the caller, so opening a
    delivery knows no evidence kind."""

    @property
    def content_names(self) -> tuple[str, ...]:
        """Name endings under which content may make a file evidence."""

    def by_name(self, path: Path) -> str | None:
        """The evidence kind (a report word) the file's name says; None if it says none."""

    def by_content(self, path: Path, size: int) -> tuple[str, tuple[str, ...]] | None:
        """(kind, subject digests it claims) by content; None: not evidence."""

    def beside(self, file: Path, listing: FolderListing | None) -> list[Path]:
        """The evidence beside a file by the naming conventions (from its folder's listing,
        when there is one): an archive with some is an artifact, not a container."""


class NameGlob(Protocol):
    """A `delivery.documents` glob of the policy."""

    @property
    def text(self) -> str: ...

    def matches(self, value: str) -> bool: ...


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
    recognition: EvidenceRecognition,
    limits: Limits | None = None,
    operator_files: Mapping[Path, str] | None = None,
    documents: Sequence[NameGlob] = (),
) -> Delivery:
    """Open the delivery at `path`; archives are copied and extracted below `scratch`;
    `recognition` says which files are evidence.

    `operator_files`: resolved paths that are the operator's (the policy) with why they are
    not decided about. `documents`: globs of the policy's `delivery.documents` (a glob with
    no `/` matches a file name in any folder, else the path in the delivery). Raises
    `InputError` if `path` cannot be read, `DeliveryRefused` if an archive in it is unsafe or
    over a limit.
    """
    limits = limits or Limits()
    budget = Budget(limits)
    walker = _Walker(scratch, budget, operator_files or {}, documents, recognition)
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


class _Walker:
    def __init__(
        self,
        scratch: Path,
        budget: Budget,
        operator: Mapping[Path, str],
        documents: Sequence[NameGlob],
        recognition: EvidenceRecognition,
    ) -> None:
        self.scratch, self.budget, self.operator = scratch, budget, operator
        self.recognition = recognition
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
        for evidence in self.recognition.beside(file, None):
            kind = self.recognition.by_name(evidence) or self.by_content(evidence)
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
            and not self.recognition.beside(path, self.listings[str(path.parent)])
        ):
            self.container(path, name, depth)
            return
        kind = self.recognition.by_name(path)
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
        content_names = self.recognition.content_names
        sniffed = (
            self.recognition.by_content(path, info.st_size)
            if name.lower().endswith(content_names)
            else None
        )
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

    def by_content(self, path: Path) -> str | None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        found = self.recognition.by_content(path, size)
        return found[0] if found is not None else None


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
