"""What every vet report shows, read once from a `vet-result.v1` dict.

The renderers (text, SARIF, JUnit, Markdown, HTML) all show the same things: per artifact its
decision, evidence strength, who signed it, its SBOM and why each requirement passed or
failed. This module reads those out of the result so that no renderer interprets the JSON
differently. File names and reasons come from a vendor's delivery: `printable` makes them
safe to print on a terminal or in a log (no control characters, no escape sequences).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ArtifactView",
    "Requirement",
    "Signer",
    "VetView",
    "printable",
    "view",
]

# The strongest evidence first, as in decision-result.v1's `evidence_strength`.
STRENGTH_MEANING = {
    "attested-build": "build provenance signed by the vendor's build platform",
    "signed-identity": "signed by an identity or key the policy trusts",
    "signed-checksum-list": "listed in a checksum file the vendor signed",
    "published-hash": "matches a hash the operator copied from the vendor",
    "none": "no verified evidence",
}


def printable(text: str) -> str:
    """`text` on one line with every control or format character shown as `\\xNN`/`\\uNNNN`:
    a vendor's file name must not move the cursor, clear a terminal or forge a log line."""
    out: list[str] = []
    for char in text:
        if char in "\n\r\t":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


@dataclass(frozen=True)
class Requirement:
    rule: str
    passed: bool
    reason: str
    evidence: Mapping[str, Any]


@dataclass(frozen=True)
class Signer:
    """One identity whose verified signatures (or statements) counted for the artifact, with
    every evidence file it signed: `sources` holds (file, content kind) pairs."""

    vendor: str | None
    signer: str
    issuer: str | None
    signed_at: str | None
    sources: tuple[tuple[str, str], ...]

    def sources_text(self) -> str:
        return ", ".join(f"{source} ({content})" for source, content in self.sources)


@dataclass(frozen=True)
class ArtifactView:
    raw: Mapping[str, Any]
    name: str
    sha256: str
    decision: str
    reason: str | None
    evidence_strength: str
    product: str | None
    product_basis: str | None  # how it was recognised
    version: str | None
    requirements: tuple[Requirement, ...]
    signers: tuple[Signer, ...]
    sbom: Mapping[str, Any] | None
    inputs: tuple[tuple[str, str], ...]
    problems: tuple[tuple[str, str], ...]
    approvals: tuple[Mapping[str, Any], ...]

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    def product_text(self) -> str:
        """`pkg:... 4.2.1 (signed-identity); recognised by ...`, or `not identified`."""
        if self.product is None:
            return "not identified"
        version = self.version or "(no version)"
        basis = f"; recognised by {self.product_basis}" if self.product_basis else ""
        return f"{self.product} {version}{basis}"

    @property
    def failed(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if not r.passed)


@dataclass(frozen=True)
class VetView:
    raw: Mapping[str, Any]
    delivery_path: str
    delivery_kind: str
    delivery_sha256: str | None
    segment: str
    policy_path: str
    policy_sha256: str
    decision: str
    refused: str | None
    tool_version: str
    artifacts: tuple[ArtifactView, ...]
    evidence_files: tuple[tuple[str, str], ...]
    unrecognised: tuple[tuple[str, str], ...]  # notes: (path, why not decided about)
    refused_files: tuple[tuple[str, str], ...] = ()  # (path, why it denies the delivery)
    documents: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    @property
    def denied_count(self) -> int:
        return sum(1 for a in self.artifacts if not a.allowed)

    @property
    def denied_first(self) -> tuple[ArtifactView, ...]:
        """The artifacts, denied ones first (each group in name order)."""
        return tuple(sorted(self.artifacts, key=lambda a: a.allowed))

    def denials(self) -> tuple[tuple[str, str], ...]:
        """(name, one-line why) for each denied artifact: what the summary names."""
        return tuple(
            (a.name, "failed " + ", ".join(r.rule for r in a.failed) if a.failed else "denied")
            for a in self.denied_first
            if not a.allowed
        )

    @property
    def title(self) -> str:
        """What the report is about: a delivery, or one file (`verify --segment`)."""
        if self.delivery_kind == "file":
            return "Decision report"
        return "Delivery vetting report"

    def headline(self) -> str:
        """One line: the verdict on the whole delivery."""
        if self.refused is not None:
            return f"DENY: {self.delivery_path} refused: {self.refused}"
        total = len(self.artifacts)
        if self.allowed:
            return f"ALLOW: all {total} artifact(s) allowed for {self.segment}"
        refused = f"{len(self.refused_files)} file(s) refused" if self.refused_files else ""
        if total == 0:
            return "DENY: " + ", ".join(
                part for part in (refused, f"no artifact found in {self.delivery_path}") if part
            )
        denied = f"{self.denied_count} of {total} artifact(s) denied for {self.segment}"
        return "DENY: " + ", ".join(part for part in (refused, denied) if part)


def _signers(findings: Sequence[Mapping[str, Any]]) -> tuple[Signer, ...]:
    # `vendor_signature` lists every verified signature by a policy vendor; `signed_by` repeats
    # them. One row per identity (and signing time), listing the files it signed.
    rows: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
    for finding in findings:
        for entry in finding["evidence"].get("signatures", ()):
            key = tuple(entry.get(k) for k in ("vendor", "signer", "issuer", "signed_at"))
            if entry.get("issuer") is None and entry.get("signer_rule"):
                # A key or certificate: named as the policy names it (its file), not by digest.
                key = (key[0], entry["signer_rule"], None, key[3])
            source = (str(entry.get("bundle") or "?"), str(entry.get("content") or "?"))
            sources = rows.setdefault(key, [])
            if source not in sources:
                sources.append(source)
    return tuple(
        Signer(
            vendor=vendor,
            signer=str(signer or "?"),
            issuer=issuer,
            signed_at=signed_at,
            sources=tuple(sources),
        )
        for (vendor, signer, issuer, signed_at), sources in rows.items()
    )


def _artifact(raw: Mapping[str, Any]) -> ArtifactView:
    findings: Sequence[Mapping[str, Any]] = raw["findings"]
    requirements = tuple(
        Requirement(f["rule"], bool(f["passed"]), f["reason"], f["evidence"]) for f in findings
    )
    sbom = next((r.evidence for r in requirements if r.rule == "sbom" and r.evidence), None)
    approvals = tuple(
        approval
        for r in requirements
        if r.rule == "approvals"
        for approval in r.evidence.get("approvals", ())
    )
    version = raw["version"]
    evidence = raw["evidence"]
    return ArtifactView(
        raw=raw,
        name=raw["artifact"]["name"],
        sha256=raw["artifact"]["sha256"],
        decision=raw["decision"],
        reason=raw["reason"],
        evidence_strength=raw["evidence_strength"],
        product=raw["product"],
        product_basis=raw.get("product_basis"),
        version=f"{version['value']} ({version['source']})" if version else None,
        requirements=requirements,
        signers=_signers(findings),
        sbom=sbom,
        inputs=tuple((i["path"], i["sha256"]) for i in evidence["inputs"]),
        problems=tuple((p["source"], p["reason"]) for p in evidence["problems"]),
        approvals=approvals,
    )


def view(result: Mapping[str, Any]) -> VetView:
    """Read a `vet-result.v1` dict (as `provenance vet` builds it)."""
    delivery = result["delivery"]
    refused = result.get("refused")
    return VetView(
        raw=result,
        delivery_path=delivery["path"],
        delivery_kind=delivery["kind"],
        delivery_sha256=delivery.get("sha256"),
        segment=result["segment"],
        policy_path=result["policy"]["path"],
        policy_sha256=result["policy"]["sha256"],
        decision=result["decision"],
        refused=refused["reason"] if refused else None,
        tool_version=result["tool"]["version"],
        artifacts=tuple(_artifact(a) for a in result["artifacts"]),
        evidence_files=tuple((e["path"], e["kind"]) for e in result.get("evidence_files", ())),
        unrecognised=tuple((u["path"], u["reason"]) for u in result.get("unrecognised", ())),
        refused_files=tuple((u["path"], u["reason"]) for u in result.get("refused_files", ())),
        documents=tuple(d["path"] for d in result.get("documents", ())),
    )


def sbom_summary(sbom: Mapping[str, Any]) -> str:
    """`CycloneDX 1.6 (json), 3 components, bound: signed-attestation, ntia-2021`."""
    parts = [str(sbom.get("format") or "SBOM")]
    if "components" in sbom:
        parts.append(f"{sbom['components']} components")
    if sbom.get("binding"):
        parts.append(f"bound: {sbom['binding']}")
    if sbom.get("minimum_elements"):
        parts.append(f"minimum elements: {sbom['minimum_elements']}")
    return ", ".join(parts)
