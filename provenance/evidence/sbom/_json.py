"""Strict JSON for SBOM and VEX documents: the one loader's rules (duplicate keys, lone
surrogates, NaN, nesting, oversized integers refused), as an `EvidenceError` naming the file.

SBOMs reach 50,000 components, and no rule ever reads a number from one, so the walk that
refuses numbers overflowing to infinity is skipped here (`parse_json`): it would add a third
to the parse.
"""

from __future__ import annotations

from typing import Any

from provenance.errors import EvidenceError
from provenance.evidence.json_input import MalformedJson, parse_json

__all__ = ["load_strict_json"]


def load_strict_json(data: bytes, what: str) -> Any:
    """The JSON value in `data`; raises `EvidenceError` naming `what` if it is not strict JSON."""
    try:
        return parse_json(data)
    except MalformedJson as exc:
        raise EvidenceError(f"{what}: expected strict JSON, got invalid JSON: {exc}") from exc
