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

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from provenance.errors import VerificationFailure
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.evidence.sigstore_bundle import BUNDLE_SUFFIXES, MAX_BUNDLE_BYTES
from provenance.facts import (
    ApprovalFact,
    AttestationFact,
    LayoutFact,
    PublishedHashFact,
    SbomFacts,
    SignatureFact,
)
from provenance.inputs.artifact import Artifact
from provenance.inputs.documents import EvidenceDocument
from provenance.inputs.files import read_bounded
from provenance.inputs.listing import FolderListing
from provenance.steps import doing
from provenance.verification import evidence_kinds
from provenance.verification.checksum_list import published_hash_fact
from provenance.verification.evidence_context import (
    Collected,
    EvidenceContext,
    EvidenceItem,
    EvidenceProblem,
    VerificationMemo,
)
from provenance.verification.evidence_handlers import mib
from provenance.verification.evidence_kinds import EvidenceKind
from provenance.verification.sbom_binding import gather_sbom, sbom_names_beside
from provenance.verification.signers import PublicKeySigner
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot
from provenance.verification.sigstore.verifier import NamedSigner
from provenance.verification.vendor_layouts import LAYOUT_SUFFIX, LayoutTrust
from provenance.verification.vendor_signatures import (
    CHECKSUM_LIST_NAMES,
    DETACHED_SUFFIXES,
    verify_authenticode_in,
)
from provenance.verification.x509 import CrlFile, UnsignedPeFile

__all__ = [
    "DELIVERY_RECOGNITION",
    "Assessment",
    "EvidenceDocument",
    "EvidenceProblem",
    "FolderListing",
    "VerificationMemo",
    "assess",
    "discover_evidence",
    "looked_for",
]

APPROVAL_GLOB = "{name}.approval*.json"
ATTESTATION_SUFFIXES = (".intoto.jsonl", ".intoto.json", ".dsse.json")


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
    for kind in evidence_kinds.KINDS:
        for pattern in kind.beside:
            prefix, star, suffix = pattern.format(name=name).partition("*")
            found += _globbed(files.matching(prefix, suffix), prefix, suffix) if star else [prefix]
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
    context = EvidenceContext(
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
    collected = Collected()
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
        evidence_item, kind = read
        source = evidence_item.source
        inputs.append((source, hashlib.sha256(evidence_item.data).hexdigest()))
        before = collected.yielded()
        with doing("verifying", source):
            problems += _verify(context, kind, evidence_item, collected)
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
) -> tuple[EvidenceItem, EvidenceKind | None] | None:
    """One piece of evidence read, with its kind (by name, else by the content that names its
    subject); None (a problem noted) if it is larger than its kind may be."""
    if isinstance(item, EvidenceDocument):
        return EvidenceItem(item.source, item.data), evidence_kinds.by_routed_content(item.data)
    named = evidence_kinds.by_name(item)
    limit = named.max_bytes if named is not None else MAX_BUNDLE_BYTES
    data = read_bounded(item, limit, "evidence file")
    if data is None:
        problems.append(
            EvidenceProblem(str(item), f"larger than the evidence size limit ({mib(limit)})")
        )
        return None
    kind = named or evidence_kinds.by_routed_content(data)
    return EvidenceItem(str(item), data, item), kind


def _verify(
    context: EvidenceContext, kind: EvidenceKind | None, item: EvidenceItem, into: Collected
) -> list[EvidenceProblem]:
    """Verify one piece of evidence into `into`; what did not verify, as problems."""
    if kind is None or kind.verify is None:
        # Delivery content is the attacker's: an unrecognised file is failed evidence,
        # listed in the report, not a reason to stop the run.
        return [EvidenceProblem(item.source, _unrecognised(item.data))]
    try:
        return kind.verify(context, item, into)
    except VerificationFailure as failure:
        return [EvidenceProblem(item.source, str(failure))]


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


class _DeliveryRecognition:
    """The evidence registry as `inputs.delivery.EvidenceRecognition`."""

    content_names = evidence_kinds.BY_CONTENT_NAMES

    def by_name(self, path: Path) -> str | None:
        named = evidence_kinds.by_name(path)
        return named.label if named is not None else None

    def by_content(self, path: Path, size: int) -> tuple[str, tuple[str, ...]] | None:
        found = evidence_kinds.recognise(path, size)
        return (found.kind.label, found.subjects) if found is not None else None

    def beside(self, file: Path, listing: FolderListing | None) -> list[Path]:
        return discover_evidence(file, listing)


DELIVERY_RECOGNITION = _DeliveryRecognition()
