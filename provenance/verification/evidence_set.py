"""Verify every piece of evidence handed in for one artifact, and keep what held as facts.

Evidence that does not verify is kept as a problem with its reason (a report lists it); it
never becomes a fact. What a file is, by its name first, then by its content:
- Sigstore bundles (`.sigstore.json`, `.sigstore`, or by media type): over the artifact, or,
  named after a checksum list or an SBOM/VEX file, over that file;
- DSSE envelopes: signed by a site group member, an approval; by vendor keys, an attestation;
  `.jsonl` files line by line (one bundle or envelope per line, as GitHub publishes them);
- detached `.asc`/`.sig`/`.p7s` signatures over the file they are named after (the artifact,
  a `SHA256SUMS`-style list, an SBOM or VEX file), OpenPGP, CMS or a plain key by content;
- in-toto layouts (`.layout`) with their links beside them;
- SBOMs (`.cdx.json`, `.cdx.xml`, `.spdx.json`, `bom.json`) and VEX (`.vex.json`), weighed
  at the end against SBOM attestations (`sbom_binding`);
- and, inside the artifact itself, an Authenticode signature when it is a PE file.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.dsse_envelope import parse_envelope
from provenance.evidence.in_toto import Statement
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.evidence.sigstore_bundle import BUNDLE_SUFFIXES, MAX_BUNDLE_BYTES, parse_bundle
from provenance.facts import (
    ApprovalFact,
    AttestationFact,
    LayoutFact,
    PublishedHashFact,
    SbomFacts,
    SignatureFact,
)
from provenance.inputs.artifact import Artifact
from provenance.inputs.files import read_bounded
from provenance.steps import doing
from provenance.verification.attestations import attestation_fact, verify_key_envelope
from provenance.verification.checksum_list import published_hash_fact
from provenance.verification.dsse_keys import signers_of
from provenance.verification.sbom_binding import (
    FOLDER_SBOMS,
    MAX_SBOM_BYTES,
    MAX_VEX_BYTES,
    SBOM_SUFFIXES,
    VEX_SUFFIXES,
    gather_sbom,
    sbom_names_beside,
)
from provenance.verification.signers import PublicKeySigner
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot
from provenance.verification.sigstore.verifier import NamedSigner, verify_bundle
from provenance.verification.site_statements import verify_approval
from provenance.verification.vendor_layouts import LAYOUT_SUFFIX, LayoutTrust, verify_vendor_layout
from provenance.verification.vendor_signatures import (
    CHECKSUM_LIST_NAMES,
    DETACHED_SUFFIXES,
    SignedFile,
    signed_target,
    verify_authenticode_in,
    verify_detached,
    verify_list_bundle,
    verify_signed_file,
)
from provenance.verification.x509 import CrlFile, UnsignedPeFile

__all__ = [
    "Assessment",
    "EvidenceDocument",
    "EvidenceProblem",
    "FolderListing",
    "VerificationMemo",
    "assess",
    "classify_evidence",
    "discover_evidence",
    "looked_for",
]

APPROVAL_GLOB = "{name}.approval*.json"
ATTESTATION_SUFFIXES = (".intoto.jsonl", ".intoto.json", ".dsse.json")
# A `.jsonl` of attestations may hold many; each line is still one bounded document.
MAX_JSONL_BYTES = 64 * 1024 * 1024
MAX_JSONL_LINES = 1000


@dataclass(frozen=True)
class EvidenceDocument:
    """Evidence that is not a file here (fetched from an attestation API): its bytes and
    where they came from. Verified exactly like a file."""

    source: str
    data: bytes


@dataclass(frozen=True)
class EvidenceProblem:
    source: str
    reason: str
    # The problem is that there is no evidence here (a PE file that carries no Authenticode
    # signature): it does not count as evidence that was examined.
    absent: bool = False


@dataclass(frozen=True)
class Assessment:
    signatures: tuple[SignatureFact, ...]
    approvals: tuple[ApprovalFact, ...]
    problems: tuple[EvidenceProblem, ...]
    inputs: tuple[tuple[str, str], ...]  # (path, sha256 hex) of every file examined
    attestations: tuple[AttestationFact, ...] = ()
    published_hash: PublishedHashFact | None = None
    # The operator gave --expected-sha256 and it did not match: why (the rule denies on it).
    published_hash_mismatch: str | None = None
    layouts: tuple[LayoutFact, ...] = ()
    sbom: SbomFacts | None = None
    # Evidence sources (as given) that yielded a fact, or an SBOM or VEX document that parsed
    # and is tied to the artifact: what `vet` counts as used (the rest verified nothing).
    used: frozenset[str] = frozenset()


class FolderListing:
    """The regular files of one folder (links followed, as `Path.is_file` sees them), listed
    once: `discover_evidence` looks names up here instead of globbing the folder, so vetting
    a delivery of N files lists each folder once, not once per artifact (O(N), not O(N^2)).

    A folder that cannot be listed (searchable but not readable) finds, as globbing it did,
    nothing by pattern; its fixed names are still looked up one by one.
    """

    def __init__(self, folder: Path, names: Iterable[str] | None) -> None:
        self.folder = folder
        self._names = frozenset(names) if names is not None else None
        self._sorted = sorted(self._names) if self._names is not None else []

    @classmethod
    def of(cls, folder: Path) -> FolderListing:
        """List `folder` now (a missing folder has no files)."""
        try:
            with os.scandir(folder) as scan:
                return cls.from_entries(folder, list(scan))
        except (FileNotFoundError, NotADirectoryError):
            return cls(folder, ())
        except PermissionError:
            return cls(folder, None)

    @classmethod
    def from_entries(cls, folder: Path, entries: Iterable[os.DirEntry[str]]) -> FolderListing:
        """From a listing already made (`os.scandir(folder)`)."""
        return cls(folder, (entry.name for entry in entries if _is_file(entry)))

    def is_file(self, name: str) -> bool:
        if self._names is None:
            return (self.folder / name).is_file()
        return name in self._names

    def matching(self, prefix: str, suffix: str) -> list[str]:
        """Names that `Path.glob(escaped(prefix) + "*" + suffix)` finds, in sorted order."""
        start = bisect.bisect_left(self._sorted, prefix)
        found = []
        for name in itertools.islice(self._sorted, start, None):
            if not name.startswith(prefix):
                break
            if name.endswith(suffix) and len(name) >= len(prefix) + len(suffix):
                found.append(name)
        return found


def _is_file(entry: os.DirEntry[str]) -> bool:
    """`Path.is_file` of a listed entry: a link is followed (and a broken one is no file)."""
    if entry.is_symlink():
        return Path(entry.path).is_file()
    return entry.is_file(follow_symlinks=False)


def discover_evidence(artifact: Path, listing: FolderListing | None = None) -> list[Path]:
    """Evidence beside ARTIFACT by convention: its bundles, attestations and approvals.

    `listing`: of the artifact's folder, when the caller has one (vet: each folder of the
    delivery is listed once); otherwise the folder is listed here, once. Names are looked up
    as strings; only what is found becomes a path."""
    folder, name = artifact.parent, artifact.name
    files = listing if listing is not None else FolderListing.of(folder)
    # Every pattern below starts with "NAME.": one range of the sorted listing holds them all.
    named = files.matching(f"{name}.", "")
    found = [name + suffix for suffix in (*BUNDLE_SUFFIXES, *ATTESTATION_SUFFIXES)]
    found += _globbed(named, f"{name}.", ".sigstore.json")
    for suffix in ATTESTATION_SUFFIXES:
        found += _globbed(named, f"{name}.", suffix)
    found += [name + suffix for suffix in DETACHED_SUFFIXES]
    found += [name + LAYOUT_SUFFIX, "root.layout"]
    sboms, vex = sbom_names_beside(name)
    documents = [document for document in (*sboms, *vex) if files.is_file(document)]
    found += documents
    found += [
        document + suffix
        for document in documents
        for suffix in (*BUNDLE_SUFFIXES, *DETACHED_SUFFIXES)
    ]
    # Signed checksum lists beside it: the signature files (a list alone proves nothing).
    found += _LIST_SIGNATURES
    found += _globbed(named, f"{name}.approval", ".json")
    return [folder / file for file in dict.fromkeys(found) if files.is_file(file)]


def _globbed(names: Sequence[str], prefix: str, suffix: str) -> list[str]:
    """The NAMES (sorted) that `glob(escaped(prefix) + "*" + suffix)` matches."""
    shortest = len(prefix) + len(suffix)
    return [
        name
        for name in names
        if name.startswith(prefix) and name.endswith(suffix) and len(name) >= shortest
    ]


_LIST_SIGNATURES = [
    listed + suffix
    for listed in CHECKSUM_LIST_NAMES
    for suffix in (*DETACHED_SUFFIXES, *BUNDLE_SUFFIXES)
]


def looked_for(name: str) -> str:
    """Where `discover_evidence` looks for ARTIFACT's evidence, in few words."""
    detached = "/".join(DETACHED_SUFFIXES)
    lists = "/".join(CHECKSUM_LIST_NAMES)
    return (
        f"{name}.sigstore[.json], {name}.*.sigstore.json, {name}.intoto.json[l], "
        f"{name}.dsse.json, {name}{detached}, {name}{LAYOUT_SUFFIX}, SBOM and VEX files, a "
        f"signed {lists}, {APPROVAL_GLOB.format(name=name)}, Authenticode inside a PE file"
    )


# What a file is, by its name first (in this order); by its content otherwise.
_KINDS_BY_NAME: tuple[tuple[tuple[str, ...], str], ...] = (
    (DETACHED_SUFFIXES, "detached"),
    ((LAYOUT_SUFFIX,), "layout"),
    (VEX_SUFFIXES, "vex"),
    (SBOM_SUFFIXES, "sbom"),
    ((".jsonl",), "jsonl"),
)


# Evidence files are read whole, up to these sizes by kind (others: MAX_BUNDLE_BYTES).
_LIMITS = {"jsonl": MAX_JSONL_BYTES, "sbom": MAX_SBOM_BYTES, "vex": MAX_VEX_BYTES}


def classify_evidence(path: Path, content: bytes | None = None) -> str | None:
    """The kind of evidence `assess` takes `path` for, by its name, else (when `content` is
    given) by its content; None if neither tells. Kinds: bundle, list-bundle, envelope,
    detached, layout, sbom, sbom-signature, vex, jsonl."""
    kind = _kind_by_name(path) or (_document_kind(content) if content is not None else None)
    return None if kind in (None, "unknown") else kind


def _kind(path: Path, data: bytes) -> str:
    return _kind_by_name(path) or _document_kind(data)


def _kind_by_name(path: Path) -> str | None:
    """What a file is by its name alone; None when only its content can tell."""
    name, target = path.name, signed_target(path)
    if target is not None and (
        target.name.endswith((*SBOM_SUFFIXES, *VEX_SUFFIXES)) or target.name in FOLDER_SBOMS
    ):
        return "sbom-signature"  # `bom.cdx.json.sig`, `X.vex.json.sigstore.json`, ...
    if name.endswith(BUNDLE_SUFFIXES):
        assert target is not None
        return "list-bundle" if target.name in CHECKSUM_LIST_NAMES else "bundle"
    if name in FOLDER_SBOMS:
        return "sbom"
    return next((kind for suffixes, kind in _KINDS_BY_NAME if name.endswith(suffixes)), None)


def _document_kind(data: bytes) -> str:
    try:
        document = load_json(data)
    except MalformedJson:
        return "unknown"
    if isinstance(document, dict):
        if str(document.get("mediaType", "")).startswith("application/vnd.dev.sigstore.bundle"):
            return "bundle"
        if "payloadType" in document:
            return "envelope"
    return "unknown"


@dataclass
class _Collected:
    signatures: list[SignatureFact] = field(default_factory=list)
    attestations: list[AttestationFact] = field(default_factory=list)
    approvals: list[ApprovalFact] = field(default_factory=list)
    layouts: list[LayoutFact] = field(default_factory=list)
    sbom_files: list[tuple[str, bytes]] = field(default_factory=list)
    signed_files: list[SignedFile] = field(default_factory=list)
    vex_files: list[tuple[str, bytes]] = field(default_factory=list)

    def yielded(self) -> int:
        """How many facts were verified so far (SBOM and VEX files are weighed at the end)."""
        return (
            len(self.signatures)
            + len(self.attestations)
            + len(self.approvals)
            + len(self.layouts)
            + len(self.signed_files)
        )


# (SHA-256 of the bundle's bytes, the subject's SHA-256, whether the subject is a digest only)
_MemoKey = tuple[bytes, bytes, bool]
_MemoContext = tuple[tuple[NamedSigner, ...], tuple[SigstoreTrustRoot, ...], datetime]


class VerificationMemo:
    """Sigstore bundles that verified in this run, so that the same bundle bytes over the
    same digest are verified once: a delivery of identical copies, each with its bundle, or
    one bundle found by its content for each of them (vet).

    What a verification that held yields depends on the bundle's bytes, the subject's digest
    (and bytes, which the digest fixes), the signers, the trust roots and the clock, never
    on the file names: the fact is kept without its source and issued again under each file
    that carries the bytes. Failures are not kept (a reason may name the file). The memo
    binds to the first signers, trust roots and clock it is used with; under any others it
    is not consulted.
    """

    def __init__(self) -> None:
        self._context: _MemoContext | None = None
        self._held: dict[_MemoKey, tuple[SignatureFact, Statement | None]] = {}

    def __len__(self) -> int:
        return len(self._held)

    def binds(
        self,
        signers: Sequence[NamedSigner],
        trust_roots: Sequence[SigstoreTrustRoot],
        now: datetime,
    ) -> bool:
        """Whether the memo may answer for verifications under these."""
        context = (tuple(signers), tuple(trust_roots), now)
        if self._context is None:
            self._context = context
            return True
        return context == self._context

    def get(self, key: _MemoKey, source: str) -> tuple[SignatureFact, Statement | None] | None:
        held = self._held.get(key)
        if held is None:
            return None
        fact, statement = held
        return replace(fact, bundle=source), statement

    def put(self, key: _MemoKey, fact: SignatureFact, statement: Statement | None) -> None:
        self._held[key] = (fact, statement)


@dataclass(frozen=True)
class _Verifier:
    artifact: Artifact
    signers: Sequence[NamedSigner]
    trust_roots: Sequence[SigstoreTrustRoot]
    group_members: Mapping[str, Mapping[str, PublicKeySigner]]
    now: datetime
    layout_trust: Sequence[LayoutTrust] = ()
    run_inspections: bool = False
    online_revocation: bool = False  # OCSP for X.509 signers, only when the operator asks
    crls: Sequence[CrlFile] = ()  # from the state directory, beside those of the delivery
    memo: VerificationMemo | None = None

    def item(
        self, item: Path | EvidenceDocument, kind: str, source: str, data: bytes, into: _Collected
    ) -> list[EvidenceProblem]:
        """Verify one piece of evidence into `into`; what did not verify, as problems."""
        if kind == "jsonl":
            return _jsonl(self, data, source, into)
        if kind == "unknown":
            # Delivery content is the attacker's: an unrecognised file is failed evidence,
            # listed in the report, not a reason to stop the run.
            return [EvidenceProblem(source, _unrecognised(data))]
        try:
            if isinstance(item, Path):
                self.file(kind, data, item, into)
            else:
                self.document(kind, data, source, into)
        except VerificationFailure as failure:
            return [EvidenceProblem(source, str(failure))]
        return []

    def file(self, kind: str, data: bytes, path: Path, into: _Collected) -> None:
        """Verify evidence that only files have (it names what it signs, or has links beside)."""
        if kind == "sbom":
            into.sbom_files.append((str(path), data))  # weighed against attestations at the end
        elif kind == "sbom-signature":
            into.signed_files.append(self.signed_sbom(data, path))
        elif kind == "vex":
            into.vex_files.append((str(path), data))
        elif kind == "layout":
            into.layouts.append(
                verify_vendor_layout(
                    path,
                    self.artifact,
                    self.layout_trust,
                    now=self.now,
                    run_inspections=self.run_inspections,
                )
            )
        elif kind in ("detached", "list-bundle"):
            into.signatures.append(self.vendor_native(kind, data, path))
        else:
            self.document(kind, data, str(path), into)

    def document(self, kind: str, data: bytes, source: str, into: _Collected) -> None:
        """Verify one bundle or envelope; raises `VerificationFailure` if it does not hold."""
        if kind == "bundle":
            fact, statement = self.bundle(data, source)
            if statement is not None:
                into.attestations.append(attestation_fact(fact, statement, source))
            into.signatures.append(fact)
            return
        envelope = parse_envelope(data, source)
        members = [key for group in self.group_members.values() for key in group.values()]
        if signers_of(envelope, members):
            into.approvals.extend(
                verify_approval(
                    data,
                    source,
                    artifact_sha256=self.artifact.sha256.hex(),
                    group_members=self.group_members,
                )
            )
            return
        attestations = verify_key_envelope(envelope, source, self.artifact, signers=self.signers)
        into.attestations.extend(attestations)
        into.signatures.extend(fact.signature for fact in attestations)

    def signed_sbom(self, data: bytes, path: Path) -> SignedFile:
        target = signed_target(path)
        assert target is not None
        if not path.name.endswith(BUNDLE_SUFFIXES):
            return verify_signed_file(
                data,
                path,
                target,
                signers=self.signers,
                now=self.now,
                max_bytes=MAX_SBOM_BYTES,
                online=self.online_revocation,
                crls=self.crls,
            )
        content = read_bounded(target, MAX_SBOM_BYTES, "signed SBOM")
        if content is None:
            raise EvidenceError(f"{target}: larger than {MAX_SBOM_BYTES} bytes", check="sbom")
        subject = Artifact(name=str(target), sha256=hashlib.sha256(content).digest())
        fact, _ = self.bundle(data, str(path), subject=subject)
        return SignedFile(str(target), subject.sha256.hex(), fact.vendor, fact.matched_rule)

    def vendor_native(self, kind: str, data: bytes, path: Path) -> SignatureFact:
        if kind == "detached":
            return verify_detached(
                data,
                path,
                self.artifact,
                signers=self.signers,
                now=self.now,
                online=self.online_revocation,
                crls=self.crls,
            )
        return verify_list_bundle(
            data,
            path,
            self.artifact,
            bundle_check=lambda listed: self.bundle(data, str(path), subject=listed)[0],
        )

    def bundle(
        self, data: bytes, source: str, *, subject: Artifact | None = None
    ) -> tuple[SignatureFact, Statement | None]:
        target = subject or self.artifact
        memo = self.memo
        if memo is not None and not memo.binds(self.signers, self.trust_roots, self.now):
            memo = None
        key: _MemoKey = (b"", b"", False)
        if memo is not None:
            key = (hashlib.sha256(data).digest(), target.sha256, target.path is None)
            held = memo.get(key, source)
            if held is not None:
                return held
        bundle = parse_bundle(data, source)
        reasons = []
        for root in self.trust_roots:
            outcome = verify_bundle(
                bundle, target, trust_root=root, signers=self.signers, now=self.now
            )
            if outcome.fact is not None:
                if memo is not None:
                    memo.put(key, outcome.fact, outcome.statement)
                return outcome.fact, outcome.statement
            reasons.append(
                outcome.reason
                if len(self.trust_roots) == 1
                else f"under {root.name}: {outcome.reason}"
            )
        raise EvidenceError("; ".join(reasons) or "no trust root", check="bundle")


def assess(
    artifact: Artifact,
    evidence: Sequence[Path | EvidenceDocument],
    *,
    signers: Sequence[NamedSigner],
    trust_roots: Sequence[SigstoreTrustRoot],
    group_members: Mapping[str, Mapping[str, PublicKeySigner]],
    now: datetime,
    expected_sha256: str | None = None,
    layout_trust: Sequence[LayoutTrust] = (),
    run_inspections: bool = False,
    online_revocation: bool = False,
    crls: Sequence[CrlFile] = (),
    memo: VerificationMemo | None = None,
) -> Assessment:
    """Verify each piece of evidence on its own; `expected_sha256` is the operator's
    published hash, if given (`InputError` if it is not a SHA-256); `layout_trust` the
    vendors' in-toto layout keys; inspections run only if `run_inspections`; OCSP is asked
    (the one online check here) only if `online_revocation`; `crls` are those the gate
    carries (state directory), used beside each delivery's; `memo`: Sigstore verifications
    already made in this run, for a caller that assesses many artifacts (vet)."""
    verifier = _Verifier(
        artifact,
        signers,
        trust_roots,
        group_members,
        now,
        layout_trust,
        run_inspections,
        online_revocation,
        crls,
        memo,
    )
    collected = _Collected()
    problems: list[EvidenceProblem] = []
    inputs: list[tuple[str, str]] = []
    published = _published_hash(artifact, expected_sha256, problems)
    mismatch = problems[-1].reason if expected_sha256 is not None and published is None else None
    try:
        with doing("verifying the Authenticode signature in", artifact.name):
            embedded = verify_authenticode_in(
                artifact, signers, now=now, online=online_revocation, crls=crls
            )
    except UnsignedPeFile as unsigned:
        problems.append(EvidenceProblem(f"{artifact.name} (Authenticode)", str(unsigned), True))
    except VerificationFailure as failure:
        problems.append(EvidenceProblem(f"{artifact.name} (Authenticode)", str(failure)))
    else:
        collected.signatures += [embedded] if embedded is not None else []
    used: set[str] = set()
    for item in evidence:
        read = _read(item, problems)
        if read is None:
            continue
        source, data, kind = read
        inputs.append((source, hashlib.sha256(data).hexdigest()))
        before = collected.yielded()
        with doing("verifying", source):
            problems += verifier.item(item, kind, source, data, collected)
        if collected.yielded() > before:
            used.add(source)
    with doing("reading the SBOM and VEX documents for", artifact.name):
        sbom, sbom_problems, usable = gather_sbom(
            artifact,
            collected.attestations,
            collected.sbom_files,
            collected.vex_files,
            signed_files=collected.signed_files,
        )
    problems += [EvidenceProblem(source, reason) for source, reason in sbom_problems]
    return Assessment(
        signatures=tuple(collected.signatures),
        approvals=tuple(collected.approvals),
        problems=tuple(problems),
        inputs=tuple(inputs),
        attestations=tuple(collected.attestations),
        published_hash=published,
        published_hash_mismatch=mismatch,
        layouts=tuple(collected.layouts),
        sbom=sbom,
        used=frozenset(used | usable),
    )


def _published_hash(
    artifact: Artifact, expected_sha256: str | None, problems: list[EvidenceProblem]
) -> PublishedHashFact | None:
    if expected_sha256 is None:
        return None
    try:
        published_hash_fact(artifact, expected_sha256)
    except VerificationFailure as failure:
        problems.append(EvidenceProblem("--expected-sha256", str(failure)))
        return None
    return PublishedHashFact(artifact.sha256.hex())


def _read(
    item: Path | EvidenceDocument, problems: list[EvidenceProblem]
) -> tuple[str, bytes, str] | None:
    """(source, bytes, kind) of one piece of evidence; None (a problem noted) if too large."""
    if isinstance(item, EvidenceDocument):
        return item.source, item.data, _document_kind(item.data)
    by_name = _kind_by_name(item)
    limit = _LIMITS.get(by_name or "", MAX_BUNDLE_BYTES)
    data = read_bounded(item, limit, "evidence file")
    if data is None:
        problems.append(
            EvidenceProblem(str(item), f"larger than the evidence size limit ({_mib(limit)})")
        )
        return None
    return str(item), data, by_name or _document_kind(data)


_UNRECOGNISED = (
    "not recognised as evidence (expected a Sigstore bundle, a DSSE envelope or a .jsonl of them)"
)


def _unrecognised(data: bytes) -> str:
    """Why a file is not evidence, with the JSON problem when it is not even JSON."""
    try:
        load_json(data)
    except MalformedJson as exc:
        return f"{_UNRECOGNISED.removesuffix(')')}; not JSON: {exc})"
    return _UNRECOGNISED


def _jsonl(
    verifier: _Verifier, data: bytes, source: str, into: _Collected
) -> list[EvidenceProblem]:
    """Each non-empty line on its own: one bad line is one problem, not a lost file."""
    lines = data.splitlines()
    if len(lines) > MAX_JSONL_LINES:
        return [
            EvidenceProblem(source, f"expected at most {MAX_JSONL_LINES} lines, got {len(lines)}")
        ]
    problems = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        if len(line) > MAX_BUNDLE_BYTES:
            problems.append(
                EvidenceProblem(
                    where, f"line longer than the evidence size limit ({_mib(MAX_BUNDLE_BYTES)})"
                )
            )
            continue
        kind = _document_kind(line)
        if kind == "unknown":
            problems.append(
                EvidenceProblem(where, "not a Sigstore bundle or a DSSE envelope (one per line)")
            )
            continue
        try:
            verifier.document(kind, line, where, into)
        except VerificationFailure as failure:
            problems.append(EvidenceProblem(where, str(failure)))
    if not any(line.strip() for line in lines):
        problems.append(EvidenceProblem(source, "an empty .jsonl: no attestation in it"))
    return problems


def _mib(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB"
