"""`--format markdown`: a GitHub job summary, or the body of a change ticket.

An overview table (one row per artifact: decision, evidence strength, failed requirements),
then per artifact its requirements and, folded in `<details>`, the evidence it rests on.
GitHub renders Markdown and some HTML in a job summary: every vendor-supplied string (file
names, reasons, identities) is escaped by `md`, so a file called `<img src=x>` or `[x](y)`
is shown, never rendered, and `@someone` pings nobody.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from provenance.report.requirement_help import help_for
from provenance.report.vet_view import (
    STRENGTH_MEANING,
    ArtifactView,
    VetView,
    printable,
    sbom_summary,
    view,
)

__all__ = ["md", "render_markdown"]

# What means something inside a line of GitHub Markdown: emphasis, links, table cells, code,
# strikethrough, and a mention or issue reference (`@`, `#` after a non-word character); `_`
# only where it can open or close emphasis (not inside a word: `a_b` is plain text). A
# backslash before it shows it literally. `<`, `>` and `&` become character references.
# Nothing else is escaped, so versions (`2.0`) and URLs read as written in a change ticket:
# a bare URL may become a link, but one whose text is its target. Block marks (`-`, `1.`)
# mean nothing here: `md` text is never at the start of a line.
_INLINE = re.compile(r"([\\`*\[\]|~])|(?<!\w)([@#_])|(_)(?!\w)")


def md(text: str) -> str:
    """Vendor text as inert inline Markdown, on one line (never at the start of one)."""
    return _INLINE.sub(r"\\\1\2\3", html.escape(printable(text), quote=False))


def _decision(decision: str) -> str:
    return "✅ allow" if decision == "allow" else "❌ **deny**"


def _overview(vet: VetView) -> list[str]:
    lines = [
        "| artifact | decision | evidence | failed requirements |",
        "|---|---|---|---|",
    ]
    for artifact in vet.denied_first:
        failed = ", ".join(md(r.rule) for r in artifact.failed) or "none"
        lines.append(
            f"| {md(artifact.name)} | {_decision(artifact.decision)} "
            f"| {md(artifact.evidence_strength)} | {failed} |"
        )
    return lines


def _evidence_details(artifact: ArtifactView) -> list[str]:
    lines = ["<details><summary>Evidence</summary>", ""]
    if artifact.signers:
        lines += ["| signer | identity or key | issuer | signed | from |", "|---|---|---|---|---|"]
        for signer in artifact.signers:
            lines.append(
                f"| {md(signer.vendor or 'no vendor')} | {md(signer.signer)} "
                f"| {md(signer.issuer or '')} | {md(signer.signed_at or '')} "
                f"| {md(signer.sources_text())} |"
            )
        lines.append("")
    if artifact.sbom is not None:
        lines += [f"SBOM: {md(sbom_summary(artifact.sbom))}", ""]
    for approval in artifact.approvals:
        lines.append(
            f"- approved by {md(str(approval.get('member')))} "
            f"({md(str(approval.get('group')))}) at {md(str(approval.get('approved_at')))}: "
            f"{md(str(approval.get('comment') or ''))}"
        )
    if artifact.approvals:
        lines.append("")
    if artifact.inputs:
        lines += ["| evidence file | sha256 |", "|---|---|"]
        lines += [f"| {md(path)} | `{digest}` |" for path, digest in artifact.inputs]
        lines.append("")
    for source, reason in artifact.problems:
        lines.append(f"- ⚠️ did not verify: {md(source)}: {md(reason)}")
    if artifact.problems:
        lines.append("")
    lines += ["</details>", ""]
    return lines


def _artifact(artifact: ArtifactView) -> list[str]:
    strength = artifact.evidence_strength
    lines = [
        f"### {md(artifact.name)}: {_decision(artifact.decision)}",
        "",
        f"- sha256: `{artifact.sha256}`",
        f"- evidence: **{md(strength)}** ({md(STRENGTH_MEANING.get(strength, '?'))})",
    ]
    lines.append(f"- product: {md(artifact.product_text())}")
    lines += ["", "| requirement | result | reason |", "|---|---|---|"]
    for requirement in artifact.requirements:
        mark = "ok" if requirement.passed else "**FAIL**"
        lines.append(f"| {md(requirement.rule)} | {mark} | {md(requirement.reason)} |")
    lines.append("")
    for requirement in artifact.failed:
        lines.append(
            f"- **{md(requirement.rule)}**: what to do: {help_for(requirement.rule).remedy}"
        )
    if artifact.failed:
        lines.append("")
    return lines + _evidence_details(artifact)


def render_markdown(result: Mapping[str, Any]) -> str:
    vet = view(result)
    lines = [
        f"## provenance: {md(vet.headline())}",
        "",
        *(f"- ❌ {md(name)}: {md(why)}" for name, why in vet.denials()),
        *([""] if vet.denials() else []),
        f"- delivery: {md(vet.delivery_path)} ({md(vet.delivery_kind)})",
        f"- segment: **{md(vet.segment)}**",
        f"- policy: {md(vet.policy_path)} (sha256 `{vet.policy_sha256}`)",
        "",
    ]
    if vet.refused is not None:
        lines += [f"> ❌ **Refused**: {md(vet.refused)}", ""]
    if vet.refused_files:
        lines += [f"### ❌ Refused files ({len(vet.refused_files)})", ""]
        lines += [f"- {md(path)}: {md(reason)}" for path, reason in vet.refused_files]
        lines.append("")
    if vet.artifacts:
        lines += [*_overview(vet), ""]
    for artifact in vet.denied_first:
        lines += _artifact(artifact)
    if vet.documents:
        lines += [
            f"<details><summary>Documents ({len(vet.documents)}): not vetted, not for "
            "deployment</summary>",
            "",
        ]
        lines += [f"- {md(path)}" for path in vet.documents]
        lines += ["", "</details>", ""]
    if vet.unrecognised:
        lines += [
            f"<details><summary>Not decided about ({len(vet.unrecognised)})</summary>",
            "",
        ]
        lines += [f"- {md(path)}: {md(reason)}" for path, reason in vet.unrecognised]
        lines += ["", "</details>", ""]
    if vet.evidence_files:
        lines += [f"<details><summary>Evidence files ({len(vet.evidence_files)})</summary>", ""]
        lines += [f"- {md(path)} ({md(kind)})" for path, kind in vet.evidence_files]
        lines += ["", "</details>", ""]
    lines.append(f"<sub>provenance {md(vet.tool_version)}</sub>")
    return "\n".join(lines) + "\n"
