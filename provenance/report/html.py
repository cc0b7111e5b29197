"""`--format html`: one self-contained page for the person who approves or rejects an update.

Overview first (the delivery's verdict, a table of artifacts), then per artifact: decision,
evidence strength, signer identities, SBOM summary, each requirement with its reason and what
to do, the evidence files with their digests, and evidence that did not verify; then the
delivery's evidence and unrecognised files.

Self-contained and inert: inline CSS only, no scripts, fonts, images or links outside the
page (only `#fragment` links), and a Content-Security-Policy that forbids loading anything,
so even a mistake in escaping could not run code or call home. Every string from the
delivery or the result passes through `_e` (html.escape). Printable: `@media print` drops
colours that waste toner and keeps each artifact's section together where it can.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
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

__all__ = ["CONTENT_SECURITY_POLICY", "render_html"]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)

_STRENGTHS = tuple(STRENGTH_MEANING)

_CSS = """
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --line: #d0d7de; --muted: #57606a; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 72rem; padding: 1.5rem; color: #1f2328; line-height: 1.45; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
              font-size: .85em; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left;
         vertical-align: top; overflow-wrap: anywhere; }
th { background: #f6f8fa; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.verdict { padding: .75rem 1rem; border-radius: .4rem; font-weight: 600; margin: 1rem 0; }
.verdict.allow { background: #dafbe1; border: 1px solid var(--ok); }
.verdict.deny { background: #ffebe9; border: 1px solid var(--bad); }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 1rem; font-weight: 600;
         font-size: .85em; border: 1px solid currentColor; }
.allow .badge, .badge.allow, .ok { color: var(--ok); }
.deny .badge, .badge.deny, .fail { color: var(--bad); font-weight: 600; }
.warn { color: var(--warn); }
code.rule { white-space: nowrap; overflow-wrap: normal; }
.strength { display: flex; gap: .25rem; flex-wrap: wrap; padding: 0; list-style: none; }
.strength li { padding: 0 .4rem; border: 1px solid var(--line); border-radius: .3rem;
               color: var(--muted); font-size: .85em; }
.strength li.here { border-color: #1f2328; color: #1f2328; font-weight: 600; }
section.artifact { border: 1px solid var(--line); border-radius: .4rem; padding: .5rem 1rem;
                   margin: 1rem 0; }
section.artifact.deny { border-left: .35rem solid var(--bad); }
section.artifact.allow { border-left: .35rem solid var(--ok); }
details > summary { cursor: pointer; font-weight: 600; margin: .5rem 0; }
.muted, footer { color: var(--muted); font-size: .85em; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .verdict, th { background: none !important; }
  section.artifact { break-inside: avoid-page; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(value: object) -> str:
    """Any value as escaped HTML text (quotes too: safe in attributes)."""
    return html.escape(printable(str(value)), quote=True)


def _badge(decision: str) -> str:
    cls = "allow" if decision == "allow" else "deny"
    return f'<span class="badge {cls}">{_e(decision.upper())}</span>'


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A table whose cells are already-escaped HTML."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _facts(pairs: Iterable[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in pairs)
    return f'<dl class="facts">{items}</dl>'


def _strength_scale(strength: str) -> str:
    items = "".join(
        f'<li class="here" title="{_e(STRENGTH_MEANING[s])}">{_e(s)}</li>'
        if s == strength
        else f"<li>{_e(s)}</li>"
        for s in _STRENGTHS
    )
    return f'<ul class="strength" aria-label="evidence strength, strongest first">{items}</ul>'


def _overview(vet: VetView) -> str:
    rows = [
        (
            f'<a href="#artifact-{index}"><code>{_e(a.name)}</code></a>',
            _badge(a.decision),
            _e(a.evidence_strength),
            _e(", ".join(r.rule for r in a.failed) or "none"),
        )
        for index, a in enumerate(vet.denied_first, start=1)
    ]
    return _table(("artifact", "decision", "evidence strength", "failed requirements"), rows)


def _signers(artifact: ArtifactView) -> str:
    if not artifact.signers:
        return '<p class="fail">No verified signature.</p>'
    rows = [
        (
            _e(s.vendor or "no vendor"),
            f"<code>{_e(s.signer)}</code>",
            _e(s.issuer or ""),
            _e(s.signed_at or "not stated"),
            "<br>".join(f"<code>{_e(src)}</code> ({_e(kind)})" for src, kind in s.sources),
        )
        for s in artifact.signers
    ]
    return _table(("vendor", "identity or key", "issuer", "signed at", "evidence"), rows)


def _sbom(artifact: ArtifactView) -> str:
    sbom = artifact.sbom
    if sbom is None:
        return '<p class="muted">The segment has no SBOM requirement, so no SBOM was examined.</p>'
    pairs = [("summary", _e(sbom_summary(sbom)))]
    if sbom.get("source"):
        pairs.append(("from", f"<code>{_e(sbom['source'])}</code>"))
    coverage = sbom.get("coverage")
    if isinstance(coverage, Mapping) and coverage:
        pairs.append(
            ("element coverage", _e(", ".join(f"{k} {v:g}%" for k, v in coverage.items())))
        )
    licenses = next((r for r in artifact.requirements if r.rule == "licenses"), None)
    if licenses is not None:
        pairs.append(("licences", _e(licenses.reason)))
    return _facts(pairs)


def _requirements(artifact: ArtifactView) -> str:
    rows = []
    for r in artifact.requirements:
        if r.passed:
            rows.append(
                (
                    f'<code class="rule">{_e(r.rule)}</code>',
                    '<span class="ok">ok</span>',
                    _e(r.reason),
                )
            )
        else:
            remedy = _e(help_for(r.rule).remedy)
            rows.append(
                (
                    f'<code class="rule">{_e(r.rule)}</code>',
                    '<span class="fail">FAIL</span>',
                    f'{_e(r.reason)}<br><span class="muted">What to do: {remedy}</span>',
                )
            )
    return _table(("requirement", "result", "reason"), rows)


def _evidence(artifact: ArtifactView) -> str:
    parts = []
    if artifact.inputs:
        inputs = [(f"<code>{_e(p)}</code>", f"<code>{_e(d)}</code>") for p, d in artifact.inputs]
        parts.append(_table(("evidence file", "sha256"), inputs))
    else:
        parts.append('<p class="muted">No evidence file was read for this artifact.</p>')
    if artifact.approvals:
        approvals = [
            (
                _e(a.get("member")),
                _e(a.get("group")),
                _e(a.get("approved_at")),
                _e(a.get("comment") or ""),
            )
            for a in artifact.approvals
        ]
        parts.append(_table(("approved by", "group", "at", "comment"), approvals))
    if artifact.problems:
        problems = [(f"<code>{_e(s)}</code>", _e(r)) for s, r in artifact.problems]
        parts.append('<h3 class="warn">Evidence that did not verify (counted for nothing)</h3>')
        parts.append(_table(("file", "why"), problems))
    return "".join(parts)


def _artifact(index: int, artifact: ArtifactView) -> str:
    cls = "allow" if artifact.allowed else "deny"
    facts = _facts(
        [
            ("decision", _badge(artifact.decision)),
            ("sha256", f"<code>{_e(artifact.sha256)}</code>"),
            (
                "product",
                _e(artifact.product_text())
                if artifact.product is not None
                else '<span class="muted">not identified</span>',
            ),
            (
                "evidence strength",
                f"<strong>{_e(artifact.evidence_strength)}</strong>: "
                f"{_e(STRENGTH_MEANING.get(artifact.evidence_strength, '?'))}"
                + _strength_scale(artifact.evidence_strength),
            ),
        ]
    )
    reason = (
        f'<p class="fail">Denied: {_e(artifact.reason)}</p>'
        if not artifact.allowed and artifact.reason
        else ""
    )
    return (
        f'<section class="artifact {cls}" id="artifact-{index}">'
        f"<h2><code>{_e(artifact.name)}</code></h2>{facts}{reason}"
        f"<h3>Requirements</h3>{_requirements(artifact)}"
        f"<h3>Signer identities</h3>{_signers(artifact)}"
        f"<h3>SBOM</h3>{_sbom(artifact)}"
        f"<details open><summary>Evidence files</summary>{_evidence(artifact)}</details>"
        "</section>"
    )


def _refused_files(vet: VetView) -> str:
    if not vet.refused_files:
        return ""
    rows = [(f"<code>{_e(p)}</code>", _e(r)) for p, r in vet.refused_files]
    return (
        f'<section class="deny"><h2>Refused files ({len(rows)})</h2>'
        f"{_table(('file', 'why it denies the delivery'), rows)}</section>"
    )


def _delivery_files(vet: VetView) -> str:
    parts = []
    if vet.documents:
        rows = [(f"<code>{_e(p)}</code>", "not vetted, not for deployment") for p in vet.documents]
        parts.append(
            f"<details open><summary>Documents ({len(rows)})</summary>"
            f"{_table(('file', 'status'), rows)}</details>"
        )
    if vet.evidence_files:
        rows = [(f"<code>{_e(p)}</code>", _e(k)) for p, k in vet.evidence_files]
        parts.append(
            f"<details open><summary>Evidence files in the delivery ({len(rows)})</summary>"
            f"{_table(('file', 'kind'), rows)}</details>"
        )
    if vet.unrecognised:
        rows = [(f"<code>{_e(p)}</code>", _e(r)) for p, r in vet.unrecognised]
        parts.append(
            f"<details open><summary>Not decided about ({len(rows)})</summary>"
            f"{_table(('file', 'why'), rows)}</details>"
        )
    return "".join(parts)


def _denials(vet: VetView) -> str:
    items = "".join(
        f'<li><a href="#artifact-{index}"><code>{_e(name)}</code></a>: {_e(why)}</li>'
        for index, (name, why) in enumerate(vet.denials(), start=1)
    )
    return f'<ul class="denials">{items}</ul>' if items else ""


def render_html(result: Mapping[str, Any]) -> str:
    vet = view(result)
    cls = "allow" if vet.allowed else "deny"
    delivery_facts = [
        ("delivery", f"<code>{_e(vet.delivery_path)}</code> ({_e(vet.delivery_kind)})"),
        ("segment", f"<strong>{_e(vet.segment)}</strong>"),
        ("policy", f"<code>{_e(vet.policy_path)}</code>"),
        ("policy sha256", f"<code>{_e(vet.policy_sha256)}</code>"),
    ]
    if vet.delivery_sha256:
        delivery_facts.insert(1, ("delivery sha256", f"<code>{_e(vet.delivery_sha256)}</code>"))
    refused = f'<p class="verdict deny">Refused: {_e(vet.refused)}</p>' if vet.refused else ""
    # Denied and unexplained files first: what needs a person's attention.
    artifacts = "".join(_artifact(i, a) for i, a in enumerate(vet.denied_first, start=1))
    overview = _overview(vet) if vet.artifacts else '<p class="muted">No artifacts.</p>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CONTENT_SECURITY_POLICY)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>provenance: {_e(vet.decision.upper())} {_e(vet.delivery_path)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(vet.title)}</h1>{_facts(delivery_facts)}"
        f'<p class="verdict {cls}">{_e(vet.headline())}</p>{_denials(vet)}{refused}</header>'
        f"<main>{_refused_files(vet)}<h2>Overview</h2>{overview}{artifacts}"
        f"{_delivery_files(vet)}</main>"
        f"<footer><p>provenance {_e(vet.tool_version)}: every decision above was made "
        "offline from the cryptographic evidence listed; nothing on this page was "
        "loaded from the network.</p></footer>"
        "</body></html>\n"
    )
