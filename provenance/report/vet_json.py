"""`provenance vet --format json`: the versioned result every other vet report renders from.

The schema is published at `provenance/report/schemas/vet-result.v1.schema.json`; its
`artifacts` items are decision-result.v1 objects (`provenance verify --segment --format
json`), referenced by `$id`. A change that breaks a consumer bumps `schema_version`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance import __version__
from provenance.verification.evidence_kinds import label_of

if TYPE_CHECKING:
    from provenance.commands.vet import VetResult

__all__ = ["SCHEMA", "SCHEMA_VERSION", "render_json", "vet_to_dict", "wrap_decision"]

SCHEMA_VERSION = 1
SCHEMA = "urn:ot-provenance:schema:vet-result:v1"


def vet_to_dict(result: VetResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "provenance", "version": __version__},
        "delivery": {
            "path": result.delivery_path,
            "kind": result.delivery_kind,
            "sha256": result.delivery_sha256,
        },
        "segment": result.segment,
        "policy": {"path": result.policy_path, "sha256": result.policy_sha256},
        "decision": result.decision,
        "refused": {"reason": result.refused} if result.refused is not None else None,
        "artifacts": [dict(item) for item in result.artifacts],
        "evidence_files": [
            {"path": item.path, "kind": item.kind} for item in result.evidence_files
        ],
        "refused_files": [
            {"path": item.name, "reason": item.reason} for item in result.refused_files
        ],
        "documents": [{"path": name} for name in result.documents],
        "unrecognised": [
            {"path": item.name, "reason": item.reason} for item in result.unrecognised
        ],
    }


def wrap_decision(decision: Mapping[str, Any]) -> dict[str, Any]:
    """One `verify --segment` decision-result as a vet result: a delivery of one file.

    Evidence kinds are read from the files the decision examined (by name, else content).
    """
    artifact = decision["artifact"]
    inputs = [entry["path"] for entry in decision["evidence"]["inputs"]]
    evidence = []
    for path in inputs:
        kind = label_of(Path(path)) if Path(path).is_file() else None
        if kind is not None:
            evidence.append({"path": path, "kind": kind})
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "provenance", "version": __version__},
        "delivery": {"path": artifact["name"], "kind": "file", "sha256": artifact["sha256"]},
        "segment": decision["segment"],
        "policy": dict(decision["policy"]),
        "decision": decision["decision"],
        "refused": None,
        "artifacts": [dict(decision)],
        "evidence_files": evidence,
        "refused_files": [],
        "documents": [],
        "unrecognised": [],
    }


def render_json(result: VetResult) -> str:
    return json.dumps(vet_to_dict(result), indent=2) + "\n"
