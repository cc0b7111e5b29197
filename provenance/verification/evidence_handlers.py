"""How each evidence kind the gate has always read becomes facts (`EvidenceKind.verify`).

A handler verifies one item into `Collected` and returns the problems it kept on its own (a
`.jsonl` keeps one per bad line); a `VerificationFailure` it raises is the item's one
problem. A new kind's handler lives in its own module beside its kind.
"""

from __future__ import annotations

import hashlib

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.document_shapes import is_dsse_envelope, is_sigstore_bundle
from provenance.evidence.dsse_envelope import parse_envelope
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.evidence.sigstore_bundle import BUNDLE_SUFFIXES, MAX_BUNDLE_BYTES
from provenance.inputs.artifact import Artifact
from provenance.inputs.files import read_bounded
from provenance.verification.attestations import attestation_fact, verify_key_envelope
from provenance.verification.dsse_keys import signers_of
from provenance.verification.evidence_context import (
    Collected,
    EvidenceContext,
    EvidenceItem,
    EvidenceProblem,
)
from provenance.verification.evidence_kind import Handler
from provenance.verification.sbom_binding import MAX_SBOM_BYTES
from provenance.verification.site_statements import verify_approval
from provenance.verification.vendor_layouts import verify_vendor_layout
from provenance.verification.vendor_signatures import (
    SignedFile,
    signed_target,
    verify_detached,
    verify_list_bundle,
    verify_signed_file,
)

__all__ = [
    "MAX_JSONL_LINES",
    "bundle",
    "detached",
    "envelope",
    "jsonl",
    "layout",
    "list_bundle",
    "sbom_file",
    "sbom_signature",
    "vex_file",
]

MAX_JSONL_LINES = 1000


def bundle(context: EvidenceContext, item: EvidenceItem, into: Collected) -> list[EvidenceProblem]:
    """A Sigstore bundle over the artifact: a signature, and an attestation if it holds one."""
    fact, statement = context.bundle(item.data, item.source)
    if statement is not None:
        into.attestations.append(attestation_fact(fact, statement, item.source))
    into.signatures.append(fact)
    return []


def envelope(
    context: EvidenceContext, item: EvidenceItem, into: Collected
) -> list[EvidenceProblem]:
    """A DSSE envelope: signed by a site group member, an approval; else an attestation by a
    vendor key."""
    parsed = parse_envelope(item.data, item.source)
    members = [key for group in context.group_members.values() for key in group.values()]
    if signers_of(parsed, members):
        into.approvals.extend(
            verify_approval(
                item.data,
                item.source,
                artifact_sha256=context.artifact.sha256.hex(),
                group_members=context.group_members,
            )
        )
        return []
    found = verify_key_envelope(parsed, item.source, context.artifact, signers=context.signers)
    into.attestations.extend(found)
    into.signatures.extend(fact.signature for fact in found)
    return []


def detached(
    context: EvidenceContext, item: EvidenceItem, into: Collected
) -> list[EvidenceProblem]:
    """An OpenPGP, CMS or plain-key signature over the file it is named after."""
    into.signatures.append(
        verify_detached(
            item.data,
            item.file(),
            context.artifact,
            signers=context.signers,
            now=context.now,
            online=context.online_revocation,
            crls=context.crls,
        )
    )
    return []


def list_bundle(
    context: EvidenceContext, item: EvidenceItem, into: Collected
) -> list[EvidenceProblem]:
    """A Sigstore bundle over a checksum list that lists the artifact."""
    path = item.file()
    into.signatures.append(
        verify_list_bundle(
            item.data,
            path,
            context.artifact,
            bundle_check=lambda listed: context.bundle(item.data, str(path), subject=listed)[0],
        )
    )
    return []


def sbom_signature(
    context: EvidenceContext, item: EvidenceItem, into: Collected
) -> list[EvidenceProblem]:
    """A signature (detached or a Sigstore bundle) over the SBOM or VEX file it is named
    after: weighed with the SBOM at the end (`sbom_binding`)."""
    path = item.file()
    target = signed_target(path)
    assert target is not None
    if not path.name.endswith(BUNDLE_SUFFIXES):
        signed = verify_signed_file(
            item.data,
            path,
            target,
            signers=context.signers,
            now=context.now,
            max_bytes=MAX_SBOM_BYTES,
            online=context.online_revocation,
            crls=context.crls,
        )
        into.signed_files.append(signed)
        return []
    content = read_bounded(target, MAX_SBOM_BYTES, "signed SBOM")
    if content is None:
        raise EvidenceError(f"{target}: larger than {MAX_SBOM_BYTES} bytes", check="sbom")
    subject = Artifact(name=str(target), sha256=hashlib.sha256(content).digest())
    fact, _ = context.bundle(item.data, str(path), subject=subject)
    into.signed_files.append(
        SignedFile(str(target), subject.sha256.hex(), fact.vendor, fact.matched_rule)
    )
    return []


def layout(context: EvidenceContext, item: EvidenceItem, into: Collected) -> list[EvidenceProblem]:
    """An in-toto layout, with the links beside it."""
    into.layouts.append(
        verify_vendor_layout(
            item.file(),
            context.artifact,
            context.layout_trust,
            now=context.now,
            run_inspections=context.run_inspections,
        )
    )
    return []


def sbom_file(
    _context: EvidenceContext, item: EvidenceItem, into: Collected
) -> list[EvidenceProblem]:
    """An SBOM: weighed against SBOM attestations at the end (`sbom_binding.gather_sbom`)."""
    into.sbom_files.append((item.source, item.data))
    return []


def vex_file(
    _context: EvidenceContext, item: EvidenceItem, into: Collected
) -> list[EvidenceProblem]:
    """A VEX document: read with the SBOM at the end."""
    into.vex_files.append((item.source, item.data))
    return []


def jsonl(context: EvidenceContext, item: EvidenceItem, into: Collected) -> list[EvidenceProblem]:
    """One bundle or envelope per line (as GitHub publishes attestations): each line on its
    own, so one bad line is one problem, not a lost file."""
    source = item.source
    lines = item.data.splitlines()
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
                    where, f"line longer than the evidence size limit ({mib(MAX_BUNDLE_BYTES)})"
                )
            )
            continue
        handler = _line_handler(line)
        if handler is None:
            problems.append(
                EvidenceProblem(where, "not a Sigstore bundle or a DSSE envelope (one per line)")
            )
            continue
        try:
            handler(context, EvidenceItem(where, line), into)
        except VerificationFailure as failure:
            problems.append(EvidenceProblem(where, str(failure)))
    if not any(line.strip() for line in lines):
        problems.append(EvidenceProblem(source, "an empty .jsonl: no attestation in it"))
    return problems


def _line_handler(line: bytes) -> Handler | None:
    try:
        document = load_json(line)
    except MalformedJson:
        return None
    if isinstance(document, dict):
        if is_sigstore_bundle(document):
            return bundle
        if is_dsse_envelope(document):
            return envelope
    return None


def mib(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB"
