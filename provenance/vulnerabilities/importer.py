"""`provenance vulndb import PATH...`: OSV records, OSV `all.zip` exports, CISA KEV and CSAF 2.0
documents into the database, in one transaction.

Algorithm (`import_paths`):
1. Check every path exists and is readable before writing anything (a mistyped path is an
   `InputError`, exit 2, and nothing is imported).
2. Open one write transaction (`database.open_for_import`). Per path, one `sources` row.
3. Walk each path: a file is read by kind; a directory recursively, sorted, regular files only
   (symlinks are not followed). `.json` files are recognised by shape: OSV record (`id` and
   `modified`), KEV catalogue (`vulnerabilities[]` and `catalogVersion`), CSAF (`document`);
   `.yaml`/`.yml` files are OSV records; `.zip` files are OSV exports. In a directory, other
   files (`.sha512`, `.asc`, READMEs, schemas) are skipped and counted; named explicitly,
   an unrecognised file is refused. Every file read is listed, with its SHA-256, in the
   source's manifest (`snapshot.SourceManifest`), whose digest the database snapshot covers.
4. Each file (each zip as a whole) is a savepoint: a refused file is rolled back alone and
   reported with its reason; the others still import. Refusals: not JSON/YAML, wrong shape,
   strict OSV parse failure, a CSAF document that `advisory_signatures.verify_advisory`
   refuses (a publisher pinned in the policy whose `.asc` is missing or does not verify, a
   `.sha512` that does not match, or neither signature nor hash without `allow_unsigned`),
   a zip over its limits or corrupt, a second record with the same id and `modified` but
   other content.
5. Record each source's digest and how its documents were verified (`vulndb status`), then
   commit. A crash, a full disk or an unreadable path before this point leaves the previous
   database exactly as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from provenance.errors import EvidenceError, InputError
from provenance.inputs.zip_errors import ZIP_ERRORS, zip_problem
from provenance.steps import doing
from provenance.vulnerabilities.advisory_signatures import (
    AdvisoryPublisher,
    AdvisoryRefused,
    verify_advisory,
)
from provenance.vulnerabilities.csaf_matching import advisory_keys
from provenance.vulnerabilities.csaf_products import parse_csaf
from provenance.vulnerabilities.database import (
    ImportWriter,
    StoreOutcome,
    database_path,
    open_for_import,
)
from provenance.vulnerabilities.osv_records import (
    MAX_RECORD_BYTES,
    InvalidRecord,
    canonical_json,
    load_document,
    parse_record,
    parse_timestamp,
)
from provenance.vulnerabilities.snapshot import SourceManifest

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_FILES",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_TOTAL_BYTES",
    "ImportResult",
    "Refusal",
    "SourceResult",
    "import_paths",
]

# KEV (1.3 MB today) and CSAF documents (tens of KB; the largest vendor ones a few MB).
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
# A directory tree or a zip with more entries than any real export is refused, not walked.
MAX_FILES = 2_000_000
MAX_ZIP_MEMBERS = 2_000_000
# Uncompressed total of one export (the largest OSV ecosystem exports are a few hundred MB).
MAX_ZIP_TOTAL_BYTES = 4 * 1024 * 1024 * 1024

_CVE = re.compile(r"CVE-\d{4}-\d{4,}")

DocumentKind = Literal["osv", "kev", "csaf"]


@dataclass(frozen=True)
class Refusal:
    location: str  # file, or zip!member
    reason: str


@dataclass(frozen=True)
class SourceResult:
    location: str
    counts: dict[str, int]  # "osv:added", "kev:unchanged", "csaf:older", "skipped", ...
    newest_data: str | None
    digest: str = ""  # SHA-256 of the source's manifest (`snapshot.SourceManifest`)
    # "signed", "hash-only", "unverified" (CSAF), "not-signed" (OSV, KEV), "keys"
    verification: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    database: Path
    sources: tuple[SourceResult, ...]
    refused: tuple[Refusal, ...]
    notes: tuple[str, ...]  # accepted with a remark (an OSV record without `affected`)

    @property
    def ok(self) -> bool:
        return not self.refused

    def total(self, name: str) -> int:
        return sum(source.counts.get(name, 0) for source in self.sources)


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Source:
    location: str
    counts: Counter[str] = field(default_factory=Counter)
    newest: str | None = None
    # id -> (modified, canonical JSON): duplicates within one import.
    seen: dict[str, tuple[str, str]] = field(default_factory=dict)
    manifest: SourceManifest = field(default_factory=SourceManifest)
    verification: Counter[str] = field(default_factory=Counter)
    keys: set[str] = field(default_factory=set)

    def verification_summary(self) -> dict[str, Any]:
        return {**dict(sorted(self.verification.items())), "keys": sorted(self.keys)}

    def saw_time(self, moment: str | None) -> None:
        if moment is not None and (self.newest is None or moment > self.newest):
            self.newest = moment


@dataclass
class _Run:
    """One path's import: where to write, what to count, what to report."""

    writer: ImportWriter
    source: _Source
    source_id: int
    refused: list[Refusal]
    notes: list[str]
    root: Path  # the source path: manifest entries are relative to it
    publishers: Sequence[AdvisoryPublisher]
    allow_unsigned: bool
    now: datetime

    def relative(self, file: Path) -> str:
        return file.name if self.root.is_file() else file.relative_to(self.root).as_posix()


def import_paths(
    paths: Sequence[Path],
    *,
    state_dir: Path,
    now: datetime,
    publishers: Sequence[AdvisoryPublisher] = (),
    allow_unsigned: bool = False,
) -> ImportResult:
    """Import every path into `<state_dir>/vulndb.sqlite`. Raises `InputError` for a missing or
    unreadable path (nothing imported) and `VulnDatabaseError` for a database that cannot be
    written (nothing imported); refused documents are reported in the result. `publishers`:
    the CSAF publishers whose keys the site pins (`advisory_signatures`)."""
    # 1. Every path, before writing.
    if not paths:
        raise InputError("vulndb import: expected at least one path, got none")
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: does not exist; expected a file or directory to import")
        if not (path.is_file() or path.is_dir()):
            raise InputError(f"{path}: not a regular file or directory; expected one")
    refused: list[Refusal] = []
    notes: list[str] = []
    results: list[SourceResult] = []
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # 2. One transaction.
    with open_for_import(state_dir, now=now) as writer:
        for path in paths:
            source = _Source(location=str(path))
            source_id = writer.begin_source(_kind_label(path), str(path))
            # 3. Walk.
            run = _Run(
                writer, source, source_id, refused, notes, path, publishers, allow_unsigned, now
            )
            for file in _walk(path):
                with doing("importing", str(file)):
                    _import_file(run, file, in_directory=path.is_dir())
            # 5. What was read, and how it was vouched for.
            digest = source.manifest.digest()
            writer.record_provenance(source_id, digest, source.verification_summary())
            writer.finish_source(
                source_id,
                {
                    outcome: sum(
                        count for name, count in source.counts.items() if name.endswith(outcome)
                    )
                    for outcome in ("added", "updated", "unchanged", "older", "refused")
                },
                source.newest,
            )
            results.append(
                SourceResult(
                    str(path),
                    dict(source.counts),
                    source.newest,
                    digest,
                    source.verification_summary(),
                )
            )
    return ImportResult(database_path(state_dir), tuple(results), tuple(refused), tuple(notes))


def _kind_label(path: Path) -> str:
    if path.is_dir():
        return "directory"
    if path.suffix == ".zip":
        return "osv-zip"
    return "file"


def _walk(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    count = 0
    for current, directories, files in os.walk(path, followlinks=False):
        directories[:] = sorted(d for d in directories if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            count += 1
            if count > MAX_FILES:
                raise InputError(f"{path}: more than {MAX_FILES} files; expected a data folder")
            yield Path(current) / name


def _read(file: Path, limit: int) -> bytes:
    try:
        info = file.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise _Refused("not a regular file (symlinks are not followed)")
        if info.st_size > limit:
            raise _Refused(f"expected at most {limit} bytes, got {info.st_size}")
        with file.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise _Refused(f"expected at most {limit} bytes, got more")
    return data


def _import_file(run: _Run, file: Path, *, in_directory: bool) -> None:
    source = run.source
    suffix = file.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml", ".zip"):
        if not in_directory:
            run.refused.append(Refusal(str(file), "expected a .json, .yaml, .yml or .zip file"))
            source.counts["refused"] += 1
        else:
            source.counts["skipped"] += 1
        return
    before = Counter(source.counts)
    try:
        with run.writer.savepoint():
            if suffix == ".zip":
                run.source.manifest.add_digest(run.relative(file), _file_sha256(file))
                _import_zip(run, file)
            else:
                data = _read(file, MAX_DOCUMENT_BYTES)
                run.source.manifest.add(run.relative(file), data)
                _import_document(run, file, data, in_directory)
    except _Refused as refusal:
        source.counts = before  # the savepoint undid this file's writes
        source.counts["refused"] += 1
        run.refused.append(Refusal(str(file), refusal.reason))


def _file_sha256(file: Path) -> str:
    try:
        with file.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc


def _import_zip(run: _Run, file: Path) -> None:
    """An OSV export: JSON records at any depth; other members skipped. Members are read
    into memory with their sizes checked against the limits, never extracted to disk."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise _Refused(f"expected at most {MAX_ZIP_MEMBERS} members, got {len(members)}")
            total = 0
            for member in members:
                if member.is_dir() or not member.filename.endswith(".json"):
                    run.source.counts["skipped"] += 1
                    continue
                if member.file_size > MAX_RECORD_BYTES:
                    raise _Refused(
                        f"{member.filename}: expected at most {MAX_RECORD_BYTES} bytes, got "
                        f"{member.file_size}"
                    )
                with archive.open(member) as handle:
                    # The declared size can lie; read one byte past the limit to know.
                    data = handle.read(MAX_RECORD_BYTES + 1)
                if len(data) > MAX_RECORD_BYTES:
                    raise _Refused(f"{member.filename}: larger than its declared size")
                total += len(data)
                if total > MAX_ZIP_TOTAL_BYTES:
                    raise _Refused(f"expected at most {MAX_ZIP_TOTAL_BYTES} bytes uncompressed")
                try:
                    document = load_document(data, member.filename)
                    _store_osv(run, document, f"{file}!{member.filename}")
                except InvalidRecord as exc:
                    raise _Refused(f"{member.filename}: {exc}") from exc
    except ZIP_ERRORS as exc:
        raise _Refused(f"expected a readable zip archive, got {zip_problem(exc)}") from exc
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc


def _import_document(run: _Run, file: Path, data: bytes, in_directory: bool) -> None:
    name = file.name
    try:
        # KEV and CSAF documents may be larger than an OSV record; OSV is checked below.
        document = load_document(data, name, limit=MAX_DOCUMENT_BYTES)
    except InvalidRecord as exc:
        raise _Refused(str(exc)) from exc
    kind = _recognise(document, name)
    if kind is None:
        if in_directory:
            run.source.counts["skipped"] += 1
            return
        raise _Refused(
            "expected an OSV record (id, modified), a KEV catalogue (vulnerabilities[] with "
            "cveID) or a CSAF document (document.tracking), got none of them"
        )
    if kind == "osv":
        if len(data) > MAX_RECORD_BYTES:
            raise _Refused(f"expected an OSV record of at most {MAX_RECORD_BYTES} bytes")
        try:
            _store_osv(run, document, str(file))
        except InvalidRecord as exc:
            raise _Refused(str(exc)) from exc
    elif kind == "kev":
        _store_kev(run, document)
    else:
        _store_csaf(run, document, file, data)


def _recognise(document: Any, name: str) -> DocumentKind | None:
    if not isinstance(document, dict):
        return None
    if name.endswith((".yaml", ".yml")):
        return "osv"
    if isinstance(document.get("document"), dict):
        return "csaf"
    if "vulnerabilities" in document and "catalogVersion" in document:
        return "kev"
    if "id" in document and "modified" in document:
        return "osv"
    return None


def _store_osv(run: _Run, document: Any, location: str) -> None:
    source = run.source
    record = parse_record(document)
    text = canonical_json(document)
    earlier = source.seen.get(record.id)
    if earlier is not None and earlier[0] == record.modified and earlier[1] != text:
        raise InvalidRecord(
            f"{record.id}: a second record with this id and modified {record.modified} but "
            "other content; expected one version per modified time"
        )
    source.seen[record.id] = (record.modified, text)
    if not record.affected:
        run.notes.append(f"{location}: {record.id} has no affected packages; it matches nothing")
    outcome: StoreOutcome = run.writer.put_osv(record, document, run.source_id)
    source.counts[f"osv:{outcome}"] += 1
    if record.withdrawn is not None:
        source.counts["osv:withdrawn"] += 1
    source.saw_time(max(record.modified, record.published or ""))
    source.verification["not-signed"] += 1  # OSV records carry no signature


def _store_kev(run: _Run, document: Any) -> None:
    # 3. Shape: vulnerabilities[] of objects, each with a CVE id; anything else refuses the
    #    whole catalogue (a half-read KEV would silently drop "known exploited" flags).
    entries = document.get("vulnerabilities")
    if not isinstance(entries, list):
        raise _Refused("KEV: expected vulnerabilities to be a list")
    for number, entry in enumerate(entries):
        cve = entry.get("cveID") if isinstance(entry, dict) else None
        if not isinstance(cve, str) or not _CVE.fullmatch(cve):
            raise _Refused(
                f"KEV: vulnerabilities[{number}].cveID: expected a CVE id such as "
                f"CVE-2021-44228, got {cve!r}"
            )
    released = _release_time(document.get("dateReleased"), "KEV: dateReleased")
    for entry in entries:
        outcome = run.writer.put_kev(entry["cveID"], entry, run.source_id)
        run.source.counts[f"kev:{outcome}"] += 1
    run.source.saw_time(released)
    run.source.verification["not-signed"] += 1  # CISA publishes KEV without a signature


def _store_csaf(run: _Run, document: dict[str, Any], file: Path, data: bytes) -> None:
    # Who vouches for it first: a document that is refused is not read further.
    try:
        vouched = verify_advisory(
            file,
            data,
            document,
            publishers=run.publishers,
            allow_unsigned=run.allow_unsigned,
            now=run.now,
        )
    except AdvisoryRefused as exc:
        raise _Refused(exc.reason) from exc
    tracking = document["document"].get("tracking")
    if not isinstance(tracking, dict):
        raise _Refused("CSAF: document.tracking: expected an object")
    tracking_id = tracking.get("id")
    if not isinstance(tracking_id, str) or not tracking_id.strip():
        raise _Refused(f"CSAF: document.tracking.id: expected a string, got {tracking_id!r}")
    released = _release_time(
        tracking.get("current_release_date"), "CSAF: document.tracking.current_release_date"
    )
    vulnerabilities = document.get("vulnerabilities", [])
    if not isinstance(vulnerabilities, list):
        raise _Refused("CSAF: vulnerabilities: expected a list")
    cves: list[str] = []
    for number, vulnerability in enumerate(vulnerabilities):
        if not isinstance(vulnerability, dict):
            raise _Refused(f"CSAF: vulnerabilities[{number}]: expected an object")
        cve = vulnerability.get("cve")
        if cve is None:
            continue
        if not isinstance(cve, str) or not _CVE.fullmatch(cve):
            raise _Refused(f"CSAF: vulnerabilities[{number}].cve: expected a CVE id, got {cve!r}")
        cves.append(cve)
    # Read whole now (a document that does not parse is refused here, not at a gate decision)
    # and filed under the keys a component can match it by.
    try:
        advisory = parse_csaf(document, str(file))
    except EvidenceError as exc:
        raise _Refused(f"CSAF: {exc}") from exc
    keys = sorted(advisory_keys(advisory))
    outcome = run.writer.put_csaf(tracking_id, released, cves, document, run.source_id, keys=keys)
    run.source.counts[f"csaf:{outcome}"] += 1
    run.source.saw_time(released)
    run.source.verification[vouched.level] += 1
    if vouched.key is not None:
        run.source.keys.add(vouched.key)
    if vouched.level == "unverified":
        run.notes.append(f"{file}: imported unverified: {vouched.detail}")


def _release_time(value: Any, where: str) -> str:
    try:
        return parse_timestamp(value, where)
    except InvalidRecord as exc:
        raise _Refused(str(exc)) from exc
