"""Verify every piece of evidence handed in for one artifact, and keep what held as facts.

Evidence that does not verify is kept as a problem with its reason (a report lists it); it
never becomes a fact. Which evidence a file is: Sigstore bundles by name (`.sigstore.json`,
`.sigstore`) or media type, DSSE approval envelopes by content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from provenance.errors import EvidenceError, VerificationFailure
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.evidence.sigstore_bundle import BUNDLE_SUFFIXES, MAX_BUNDLE_BYTES, parse_bundle
from provenance.facts import ApprovalFact, SignatureFact
from provenance.inputs.artifact import Artifact
from provenance.inputs.files import read_bounded
from provenance.verification.signers import PublicKeySigner
from provenance.verification.sigstore.trust_root import SigstoreTrustRoot
from provenance.verification.sigstore.verifier import NamedSigner, verify_bundle
from provenance.verification.site_statements import verify_approval

__all__ = ["Assessment", "EvidenceProblem", "assess", "discover_evidence"]

APPROVAL_GLOB = "{name}.approval*.json"


@dataclass(frozen=True)
class EvidenceProblem:
    source: str
    reason: str


@dataclass(frozen=True)
class Assessment:
    signatures: tuple[SignatureFact, ...]
    approvals: tuple[ApprovalFact, ...]
    problems: tuple[EvidenceProblem, ...]
    inputs: tuple[tuple[str, str], ...]  # (path, sha256 hex) of every file examined


def discover_evidence(artifact: Path) -> list[Path]:
    """Evidence beside ARTIFACT by convention: its bundles and approval files."""
    folder, name = artifact.parent, artifact.name
    found = [folder / (name + suffix) for suffix in BUNDLE_SUFFIXES]
    found += sorted(folder.glob(f"{_escape(name)}.*.sigstore.json"))
    found += sorted(folder.glob(APPROVAL_GLOB.format(name=_escape(name))))
    return [path for path in dict.fromkeys(found) if path.is_file()]


def _escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def _kind(path: Path, data: bytes) -> str:
    if path.name.endswith(BUNDLE_SUFFIXES):
        return "bundle"
    try:
        document = load_json(data)
    except MalformedJson:
        document = None
    if isinstance(document, dict):
        if str(document.get("mediaType", "")).startswith("application/vnd.dev.sigstore.bundle"):
            return "bundle"
        if "payloadType" in document:
            return "envelope"
    return "unknown"


def assess(
    artifact: Artifact,
    evidence: Sequence[Path],
    *,
    signers: Sequence[NamedSigner],
    trust_roots: Sequence[SigstoreTrustRoot],
    group_members: Mapping[str, Mapping[str, PublicKeySigner]],
    now: datetime,
) -> Assessment:
    signatures: list[SignatureFact] = []
    approvals: list[ApprovalFact] = []
    problems: list[EvidenceProblem] = []
    inputs: list[tuple[str, str]] = []
    for path in evidence:
        data = read_bounded(path, MAX_BUNDLE_BYTES, "evidence file")
        if data is None:
            problems.append(EvidenceProblem(str(path), "larger than the evidence size limit"))
            continue
        inputs.append((str(path), hashlib.sha256(data).hexdigest()))
        kind = _kind(path, data)
        if kind == "unknown":
            # Delivery content is the attacker's: an unrecognised file is failed evidence,
            # listed in the report, not a reason to stop the run.
            problems.append(
                EvidenceProblem(
                    str(path),
                    "not recognised as evidence (expected a Sigstore bundle or a DSSE approval)",
                )
            )
            continue
        try:
            if kind == "bundle":
                bundle_fact = _verify_bundle(
                    data, str(path), artifact, signers=signers, trust_roots=trust_roots, now=now
                )
                signatures.append(bundle_fact)
            else:
                approvals.extend(
                    verify_approval(
                        data,
                        str(path),
                        artifact_sha256=artifact.sha256.hex(),
                        group_members=group_members,
                    )
                )
        except VerificationFailure as failure:
            problems.append(EvidenceProblem(str(path), str(failure)))
    return Assessment(tuple(signatures), tuple(approvals), tuple(problems), tuple(inputs))


def _verify_bundle(
    data: bytes,
    source: str,
    artifact: Artifact,
    *,
    signers: Sequence[NamedSigner],
    trust_roots: Sequence[SigstoreTrustRoot],
    now: datetime,
) -> SignatureFact:
    bundle = parse_bundle(data, source)
    reasons = []
    for root in trust_roots:
        outcome = verify_bundle(bundle, artifact, trust_root=root, signers=signers, now=now)
        if outcome.fact is not None:
            return outcome.fact
        reasons.append(
            outcome.reason if len(trust_roots) == 1 else f"under {root.name}: {outcome.reason}"
        )
    raise EvidenceError("; ".join(reasons) or "no trust root", check="bundle")
