"""`--format text`: the delivery's verdict and one table per artifact, for a terminal.

Lines wrap at word boundaries to fit `WIDTH` columns; a word longer than that (a URL, an
identity, a digest) is never split, so it can be copied whole: it takes a line of its own and
may run past the width. Every block starts with the file it is about; denied artifacts first.
Colour only when the caller says the output is a terminal and `NO_COLOR` is unset or empty
(https://no-color.org). Names and reasons pass through `printable`, so a hostile file name
cannot send escape sequences to the terminal.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from typing import Any

from provenance.report.vet_view import (
    STRENGTH_MEANING,
    ArtifactView,
    VetView,
    printable,
    sbom_summary,
    view,
)

__all__ = ["WIDTH", "render_text_table"]

WIDTH = 100
_LABEL = 10  # "evidence  " and the like: the value column starts here
_RULE_MIN, _RULE_MAX = 11, 20  # requirement column, between these widths
_MARK = 4  # "ok" / "FAIL"

_GREEN, _RED, _YELLOW, _BOLD = "32", "31", "33", "1"


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text


def _wrap(text: str, width: int) -> list[str]:
    lines = textwrap.wrap(
        printable(text),
        width,
        break_long_words=False,
        break_on_hyphens=False,
        drop_whitespace=True,
    )
    return lines or [""]


def _field(label: str, value: str, indent: int = 2) -> list[str]:
    """`  label     value`, continuation lines aligned under the value."""
    pad = " " * indent
    lines = _wrap(value, WIDTH - indent - _LABEL)
    first = f"{pad}{label:<{_LABEL}}{lines[0]}"
    return [first, *(f"{pad}{'':<{_LABEL}}{line}" for line in lines[1:])]


def _table(artifact: ArtifactView, paint: _Painter) -> list[str]:
    """`  requirement  ok|FAIL  reason`: no borders, so a long reason or URL never breaks one."""
    rule_width = max(_RULE_MIN, min(_RULE_MAX, max(len(r.rule) for r in artifact.requirements)))
    indent = 2 + rule_width + 2 + _MARK + 2
    reason_width = WIDTH - indent
    lines = [f"  {'requirement':<{rule_width}}  {'':<{_MARK}}  reason"]
    for requirement in artifact.requirements:
        rules = _wrap(requirement.rule, rule_width)
        reasons = _wrap(requirement.reason, reason_width)
        mark = "ok" if requirement.passed else "FAIL"
        colour = _GREEN if requirement.passed else _RED
        for index in range(max(len(rules), len(reasons))):
            rule = rules[index] if index < len(rules) else ""
            reason = reasons[index] if index < len(reasons) else ""
            cell = paint(f"{mark:<{_MARK}}", colour) if index == 0 else " " * _MARK
            lines.append(f"  {rule:<{rule_width}}  {cell}  {reason}".rstrip())
    return lines


def _artifact_block(artifact: ArtifactView, paint: _Painter) -> list[str]:
    verdict = paint("ALLOW", _GREEN) if artifact.allowed else paint("DENY", _RED)
    name_lines = _wrap(artifact.name, WIDTH - len(": DENY"))
    head = [paint(line, _BOLD) for line in name_lines]
    head[-1] = f"{head[-1]}: {verdict}"
    lines = head
    lines += _field("sha256", artifact.sha256)
    strength = artifact.evidence_strength
    lines += _field("evidence", f"{strength} ({STRENGTH_MEANING.get(strength, '?')})")
    lines += _field("product", artifact.product_text())
    for signer in artifact.signers:
        issuer = f" ({signer.issuer})" if signer.issuer else ""
        when = f", signed {signer.signed_at}" if signer.signed_at else ""
        lines += _field(
            "signer",
            f"{signer.vendor or 'no vendor'}: {signer.signer}{issuer}{when}; "
            f"in {signer.sources_text()}",
        )
    if artifact.sbom is not None:
        lines += _field("sbom", sbom_summary(artifact.sbom))
    for source, reason in artifact.problems:
        lines += [paint(line, _YELLOW) for line in _field("ignored", f"{source}: {reason}")]
    lines += _table(artifact, paint)
    return lines


def _render(result: VetView, paint: _Painter) -> str:
    lines = _field("delivery", f"{result.delivery_path} ({result.delivery_kind})", indent=0)
    if result.delivery_sha256:
        lines += _field("sha256", result.delivery_sha256, indent=0)
    lines += _field("segment", result.segment, indent=0)
    lines += _field(
        "policy", f"{result.policy_path} (sha256 {result.policy_sha256[:16]}...)", indent=0
    )
    colour = _GREEN if result.allowed else _RED
    lines += [paint(line, colour) for line in _wrap(result.headline(), WIDTH)]
    for name, why in result.denials():
        lines += _wrap_item(f"{name}: {why}")
    # Denied and unexplained files first: what needs a person's attention.
    if result.refused_files:
        lines += ["", paint(f"refused files ({len(result.refused_files)}):", _RED)]
        for path, reason in result.refused_files:
            lines += _wrap_item(f"{path}: {reason}")
    for artifact in result.denied_first:
        lines.append("")
        lines += _artifact_block(artifact, paint)
    if result.documents:
        lines += ["", f"documents, not vetted and not for deployment ({len(result.documents)}):"]
        lines += [line for path in result.documents for line in _wrap_item(path)]
    if result.evidence_files:
        lines += ["", f"evidence files ({len(result.evidence_files)}):"]
        for path, kind in result.evidence_files:
            lines += _wrap_item(f"{path} ({kind})")
    if result.unrecognised:
        lines += ["", f"not decided about ({len(result.unrecognised)}):"]
        for path, reason in result.unrecognised:
            lines += _wrap_item(f"{path}: {reason}")
    return "\n".join(lines) + "\n"


def _wrap_item(text: str) -> list[str]:
    lines = _wrap(text, WIDTH - 4)
    return [f"  - {lines[0]}", *(f"    {line}" for line in lines[1:])]


def render_text_table(result: Mapping[str, Any], *, color: bool) -> str:
    """The whole report, lines of at most `WIDTH` columns (ANSI colour codes aside)."""
    enabled = color and os.environ.get("NO_COLOR", "") == ""
    return _render(view(result), _Painter(enabled))
