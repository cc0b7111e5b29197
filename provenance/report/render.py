"""Render a `vet-result.v1` dict in any report format (`--format`, `--report FMT=PATH`).

A single `verify --segment` result is rendered by wrapping it as a vet result with one
artifact and delivery kind `file`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from provenance.errors import UsageError
from provenance.report.html import render_html
from provenance.report.junit import render_junit
from provenance.report.markdown import render_markdown
from provenance.report.sarif import render_sarif
from provenance.report.text_table import render_text_table

__all__ = ["FORMATS", "render"]


def _json(result: Mapping[str, Any], *, color: bool) -> str:
    # Stable: keys in the order the result was built (its schema's order), indented.
    return json.dumps(result, indent=2) + "\n"


def _plain(renderer: Callable[[Mapping[str, Any]], str]) -> Callable[..., str]:
    def render_one(result: Mapping[str, Any], *, color: bool) -> str:
        return renderer(result)

    return render_one


def _sarif(result: Mapping[str, Any], *, color: bool, sarif_root: Path | None = None) -> str:
    return render_sarif(result, root=sarif_root)


_RENDERERS: dict[str, Callable[..., str]] = {
    "text": render_text_table,
    "json": _json,
    "sarif": _sarif,
    "junit": _plain(render_junit),
    "markdown": _plain(render_markdown),
    "html": _plain(render_html),
}

FORMATS = tuple(_RENDERERS)


def render(
    fmt: str, result: Mapping[str, Any], *, color: bool, sarif_root: Path | None = None
) -> str:
    """The report in `fmt` (one of `FORMATS`). `color` only matters to `text`, and only
    when `NO_COLOR` is unset; the caller decides whether the output is a terminal.
    `sarif_root`: the checkout SARIF paths are relative to (`sarif_locations.sarif_root`).

    Raises `UsageError` for an unknown format.
    """
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise UsageError(f"report format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "sarif":
        return _sarif(result, color=color, sarif_root=sarif_root)
    return renderer(result, color=color)
