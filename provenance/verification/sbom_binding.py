"""Which delivered SBOM describes this artifact, and how strongly it is bound to it.

Candidates, strongest binding first:
1. an in-toto attestation with a CycloneDX or SPDX predicate, verified (its signature by a
   vendor signer and its subject, the artifact's digest) like any attestation;
2. an SBOM file beside the artifact (`ARTIFACT.cdx.json`, `.cdx.xml`, `.spdx.json`, or a
   folder's `bom.json`/`bom.xml`) whose described component lists the artifact's SHA-256
   (`named`); one that does not is kept, unbound, with the reason.
The most strongly bound SBOM is the one the rules see. VEX documents beside the artifact
(`ARTIFACT.vex.json`, `.openvex.json`) are parsed for the vulnerability gate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from provenance.errors import EvidenceError
from provenance.evidence.sbom import Sbom, parse_sbom
from provenance.evidence.sbom.limits import MAX_SBOM_BYTES, MAX_VEX_BYTES
from provenance.evidence.sbom.vex import VexStatement, parse_vex
from provenance.facts import BINDING_STRENGTH, AttestationFact, SbomBinding, SbomFacts
from provenance.inputs.artifact import Artifact
from provenance.verification.vendor_signatures import SignedFile

__all__ = [
    "FOLDER_SBOMS",
    "MAX_SBOM_BYTES",
    "MAX_VEX_BYTES",
    "SBOM_PREDICATE_PREFIXES",
    "SBOM_SUFFIXES",
    "VEX_SUFFIXES",
    "gather_sbom",
    "is_sbom_predicate",
    "sbom_files_beside",
    "sbom_names_beside",
]

SBOM_PREDICATE_PREFIXES = ("https://cyclonedx.org/bom", "https://spdx.dev/Document")
OPENVEX_PREFIX = "https://openvex.dev/ns"
SBOM_SUFFIXES = (".cdx.json", ".cdx.xml", ".spdx.json")
FOLDER_SBOMS = ("bom.json", "bom.xml")
VEX_SUFFIXES = (".vex.json", ".openvex.json")


def is_sbom_predicate(predicate_type: str) -> bool:
    return predicate_type.startswith(SBOM_PREDICATE_PREFIXES)


def sbom_names_beside(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names of (SBOM files, VEX files) that belong to a file called NAME beside it."""
    sboms = (*(name + suffix for suffix in SBOM_SUFFIXES), *FOLDER_SBOMS)
    return sboms, tuple(name + suffix for suffix in VEX_SUFFIXES)


def sbom_files_beside(artifact: Path) -> tuple[list[Path], list[Path]]:
    """(SBOM files, VEX files) beside the artifact by convention."""
    folder = artifact.parent
    sboms, vex = sbom_names_beside(artifact.name)
    return (
        [folder / name for name in sboms if (folder / name).is_file()],
        [folder / name for name in vex if (folder / name).is_file()],
    )


def _names(sbom: Sbom, sha256_hex: str) -> bool:
    described = sbom.metadata.component
    return described is not None and described.sha256() == sha256_hex


def gather_sbom(
    artifact: Artifact,
    attestations: Sequence[AttestationFact],
    sbom_files: Sequence[tuple[str, bytes]],
    vex_files: Sequence[tuple[str, bytes]],
    *,
    signed_files: Sequence[SignedFile] = (),
) -> tuple[SbomFacts | None, list[tuple[str, str]], set[str]]:
    """The facts (None if no SBOM or VEX was delivered), (source, reason) problems, and the
    sources that were usable: an SBOM that parsed and is tied to the artifact, a VEX document
    that parsed.

    `signed_files`: SBOM files whose bytes a signature verified for; such a file that names
    the artifact is bound `signed-file` (if the bytes read here are the bytes signed)."""
    signed = {(f.path, f.sha256): f for f in signed_files if f.vendor is not None}
    candidates: list[SbomFacts] = []
    problems: list[tuple[str, str]] = []
    for fact in attestations:
        if fact.signature.vendor is None or not is_sbom_predicate(fact.predicate_type):
            continue
        source = fact.signature.bundle
        try:
            sbom = parse_sbom(json.dumps(fact.predicate).encode(), f"{source} (SBOM predicate)")
        except EvidenceError as malformed:
            problems.append((source, str(malformed)))
            candidates.append(SbomFacts(None, None, source, problem=str(malformed)))
            continue
        detail = f"attestation signed by {fact.signature.vendor} about the artifact's digest"
        # A statement about several files binds the SBOM to each, but its described
        # component is this artifact only if it is the sole subject or its hashes say so.
        describes = fact.signature.other_subjects == 0 or _names(sbom, artifact.sha256.hex())
        candidates.append(
            SbomFacts(
                sbom,
                "signed-attestation",
                source,
                binding_detail=detail,
                signed_by=fact.signature.vendor,
                describes_artifact=describes,
            )
        )
    for path, data in sbom_files:
        try:
            sbom = parse_sbom(data, path)
        except EvidenceError as malformed:
            problems.append((path, str(malformed)))
            candidates.append(SbomFacts(None, None, path, problem=str(malformed)))
            continue
        by = signed.get((path, hashlib.sha256(data).hexdigest()))
        if _names(sbom, artifact.sha256.hex()) and by is not None:
            detail = f"signed by {by.vendor} ({by.signer}); names the artifact's SHA-256"
            candidates.append(
                SbomFacts(
                    sbom,
                    "signed-file",
                    path,
                    binding_detail=detail,
                    signed_by=by.vendor,
                    describes_artifact=True,
                )
            )
        elif _names(sbom, artifact.sha256.hex()):
            candidates.append(
                SbomFacts(
                    sbom,
                    "named",
                    path,
                    binding_detail="names the artifact's SHA-256",
                    describes_artifact=True,
                )
            )
        else:
            detail = "its described component does not list the artifact's SHA-256"
            candidates.append(SbomFacts(sbom, None, path, binding_detail=detail))
    vex = _vex(attestations, vex_files, signed, problems)
    usable = {
        c.source
        for c in candidates
        if c.source is not None and c.sbom is not None and c.binding is not None
    }
    usable |= set(vex.bindings)
    if not candidates and not vex.statements:
        return None, problems, usable
    # The usable SBOM bound most strongly; but a delivered SBOM that is unusable is never
    # passed over in silence (fail closed: the rules fail on `problem`).
    # The usable one that describes this artifact before one about several files, then the
    # most strongly bound (never the order of file names).
    best = max(
        candidates,
        key=lambda c: (c.sbom is not None, c.describes_artifact, BINDING_STRENGTH[c.binding]),
        default=None,
    )
    if best is None:
        return vex.into(SbomFacts(None, None)), problems, usable
    unusable = next((c for c in candidates if c.problem is not None), None)
    return (
        vex.into(replace(best, problem=unusable.problem if unusable else None)),
        problems,
        usable,
    )


@dataclass
class _Vex:
    """Every VEX statement delivered, and per source: how it is bound (an OpenVEX
    attestation about this digest: signed-attestation; a VEX file a vendor signed:
    signed-file; an unsigned file: None), which vendor signed it, and which products the
    document says it is about."""

    statements: list[VexStatement] = field(default_factory=list)
    bindings: dict[str, SbomBinding] = field(default_factory=dict)
    signers: dict[str, str | None] = field(default_factory=dict)
    products: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def into(self, facts: SbomFacts) -> SbomFacts:
        """`facts` with these VEX fields."""
        return replace(
            facts,
            vex=tuple(self.statements),
            vex_bindings=self.bindings,
            vex_signers=self.signers,
            vex_products=self.products,
        )


def _vex(
    attestations: Sequence[AttestationFact],
    files: Sequence[tuple[str, bytes]],
    signed: Mapping[tuple[str, str], SignedFile],
    problems: list[tuple[str, str]],
) -> _Vex:
    documents: list[tuple[str, bytes, SbomBinding, str | None]] = [
        (
            fact.signature.bundle,
            json.dumps(fact.predicate).encode(),
            "signed-attestation",
            fact.signature.vendor,
        )
        for fact in attestations
        if fact.signature.vendor is not None and fact.predicate_type.startswith(OPENVEX_PREFIX)
    ]
    for path, data in files:
        by = signed.get((path, hashlib.sha256(data).hexdigest()))
        binding: SbomBinding = "signed-file" if by is not None else None
        documents.append((path, data, binding, by.vendor if by is not None else None))
    found = _Vex()
    for source, data, bound, vendor in documents:
        try:
            document = parse_vex(data, source)
        except EvidenceError as malformed:
            problems.append((source, str(malformed)))
            continue
        found.statements += document.statements
        found.bindings[source] = bound
        found.signers[source] = vendor
        found.products[source] = document.products
        problems += [(source, problem) for problem in document.problems]
    return found
