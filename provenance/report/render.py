"""Render a vet result (a vet-result.v1 dict) in a report format.

A stand-in that renders `text` and `json` only; the reports branch replaces this module
(sarif, junit, markdown, html) and keeps the signature of `render`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from provenance.errors import UsageError

__all__ = ["FORMATS", "render"]

FORMATS = ("text", "json")
_WIDTH = 100


def render(fmt: str, result: Mapping[str, Any], *, color: bool) -> str:
    """The report in `fmt`; `UsageError` for a format this build cannot render."""
    if fmt == "json":
        return json.dumps(result, indent=2) + "\n"
    if fmt == "text":
        return _text(result)
    raise UsageError(f"--format {fmt}: not available in this build (expected text or json)")


def _text(result: Mapping[str, Any]) -> str:
    delivery = result["delivery"]
    lines = [
        f"delivery  {delivery['path']} ({delivery['kind']})",
        f"segment   {result['segment']}",
        f"policy    {result['policy']['path']}",
        f"decision  {result['decision']}",
    ]
    if result["refused"] is not None:
        lines.append(_fit(f"refused   {result['refused']['reason']}"))
    for artifact in result["artifacts"]:
        mark = "ALLOW" if artifact["decision"] == "allow" else "DENY "
        lines.append(
            _fit(f"{mark} {artifact['artifact']['name']}  ({artifact['evidence_strength']})")
        )
        lines += [
            _fit(f"      FAIL {finding['rule']}: {' '.join(finding['reason'].split())}")
            for finding in artifact["findings"]
            if not finding["passed"]
        ]
    lines += [
        _fit(f"unrecognised {item['path']}: {item['reason']}") for item in result["unrecognised"]
    ]
    return "\n".join(lines) + "\n"


def _fit(line: str) -> str:
    return line if len(line) <= _WIDTH else line[: _WIDTH - 3] + "..."
