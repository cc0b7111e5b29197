"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One result per failed requirement of each artifact (level `error` when the artifact is
denied), plus a warning per piece of evidence that did not verify, a note per unrecognised
file, and an error when an archive was refused. Every result is located at its file,
relative to the delivery (`uriBaseId` DELIVERY, described in `originalUriBaseIds`). Rules
carry short and full descriptions and help text (`requirement_help`). The output validates
against the OASIS SARIF 2.1.0 schema (errata 01); a test checks it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from provenance.report.requirement_help import help_for
from provenance.report.vet_view import ArtifactView, VetView, view

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "render_sarif", "sarif_log"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
BASE_ID = "DELIVERY"
# GitHub code scanning orders alerts by this (0.0-10.0): a denied artifact is a high.
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "note": "1.0"}
_FINGERPRINT = "provenanceFinding/v1"


def _uri(path: str) -> str:
    """A relative URI reference for a path inside the delivery (percent-encoded)."""
    return quote(PurePosixPath(path).as_posix(), safe="/")


def _file_uri(path: str) -> str:
    return "file://" + quote(path, safe="/")


def _base_locations(result: VetView) -> dict[str, Any]:
    """DELIVERY, the folder (or archive) artifact paths are relative to; a single file's
    path is relative to where the tool ran (SRCROOT, the checkout in CI), so needs none."""
    path = result.delivery_path
    if result.delivery_kind == "file":
        return {}
    if result.delivery_kind == "directory":
        folder = path.rstrip("/") + "/"
        if PurePosixPath(path).is_absolute():
            return {BASE_ID: {"uri": _file_uri(folder)}}
        return {BASE_ID: {"uri": quote(folder, safe="/"), "uriBaseId": "SRCROOT"}}
    return {BASE_ID: {"description": {"text": f"paths are inside the archive {path}"}}}


def _artifact_location(result: VetView, path: str) -> dict[str, Any]:
    if result.delivery_kind != "file":
        return {"uri": _uri(path), "uriBaseId": BASE_ID}
    if PurePosixPath(path).is_absolute():
        return {"uri": _file_uri(path)}
    return {"uri": _uri(path), "uriBaseId": "SRCROOT"}


class _Rules:
    """The run's rules, in order of first use; results refer to them by index."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.levels: dict[str, str] = {}

    def index(self, rule: str, level: str) -> int:
        if rule not in self.ids:
            self.ids.append(rule)
            self.levels[rule] = level
        return self.ids.index(rule)

    def descriptors(self) -> list[dict[str, Any]]:
        descriptors = []
        for rule in self.ids:
            text = help_for(rule)
            level = self.levels[rule]
            descriptors.append(
                {
                    "id": rule,
                    "name": "".join(
                        part.capitalize() for part in rule.replace("-", "_").split("_")
                    ),
                    "shortDescription": {"text": text.short},
                    "fullDescription": {"text": text.full},
                    "help": {
                        "text": f"{text.full} What to do: {text.remedy}",
                        "markdown": f"{text.full}\n\n**What to do:** {text.remedy}",
                    },
                    "defaultConfiguration": {"level": level},
                    "properties": {
                        "tags": ["security", "supply-chain"],
                        "security-severity": _SECURITY_SEVERITY[level],
                    },
                }
            )
        return descriptors


def _location(result: VetView, path: str, index: int | None) -> dict[str, Any]:
    artifact_location = _artifact_location(result, path)
    if index is not None:
        artifact_location["index"] = index
    return {"physicalLocation": {"artifactLocation": artifact_location}}


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _artifact_results(
    result: VetView, artifact: ArtifactView, index: int, rules: _Rules
) -> list[dict[str, Any]]:
    results = []
    level = "warning" if artifact.allowed else "error"
    for requirement in artifact.failed:
        verdict = "allowed" if artifact.allowed else "denied"
        results.append(
            {
                "ruleId": requirement.rule,
                "ruleIndex": rules.index(requirement.rule, "error"),
                "level": level,
                "kind": "fail",
                "message": {
                    "text": f"{artifact.name}: {verdict} for {result.segment}: "
                    f"{requirement.rule}: {requirement.reason}"
                },
                "locations": [_location(result, artifact.name, index)],
                "partialFingerprints": {
                    _FINGERPRINT: _fingerprint(artifact.sha256, result.segment, requirement.rule)
                },
                "properties": {
                    "artifactSha256": artifact.sha256,
                    "segment": result.segment,
                    "decision": artifact.decision,
                    "evidenceStrength": artifact.evidence_strength,
                },
            }
        )
    for source, reason in artifact.problems:
        results.append(
            {
                "ruleId": "evidence-not-verified",
                "ruleIndex": rules.index("evidence-not-verified", "warning"),
                "level": "warning",
                "kind": "fail",
                "message": {
                    "text": f"{source}: evidence for {artifact.name} did not verify: {reason}"
                },
                "locations": [_location(result, artifact.name, index)],
                "partialFingerprints": {
                    _FINGERPRINT: _fingerprint(artifact.sha256, source, reason)
                },
            }
        )
    return results


def sarif_log(result: Mapping[str, Any]) -> dict[str, Any]:
    """The SARIF log as a dict (one run)."""
    vet = view(result)
    rules = _Rules()
    artifacts = [
        {
            "location": _artifact_location(vet, a.name),
            "hashes": {"sha-256": a.sha256},
            "roles": ["analysisTarget"],
        }
        for a in vet.artifacts
    ]
    results: list[dict[str, Any]] = []
    if vet.refused is not None:
        results.append(
            {
                "ruleId": "delivery-refused",
                "ruleIndex": rules.index("delivery-refused", "error"),
                "level": "error",
                "kind": "fail",
                "message": {"text": f"{vet.delivery_path}: refused: {vet.refused}"},
                "partialFingerprints": {
                    _FINGERPRINT: _fingerprint(vet.delivery_sha256 or vet.delivery_path)
                },
            }
        )
    for index, artifact in enumerate(vet.artifacts):
        # Passing requirements are still rules of the run: code scanning closes their alerts.
        for requirement in artifact.requirements:
            rules.index(requirement.rule, "error")
        results += _artifact_results(vet, artifact, index, rules)
    for path, reason in vet.refused_files:
        results.append(
            {
                "ruleId": "refused-file",
                "ruleIndex": rules.index("refused-file", "error"),
                "level": "error",
                "kind": "fail",
                "message": {"text": f"{path}: refused, so the delivery is denied: {reason}"},
                "locations": [_location(vet, path, None)],
                "partialFingerprints": {_FINGERPRINT: _fingerprint("refused", path, reason)},
            }
        )
    for path, reason in vet.unrecognised:
        results.append(
            {
                "ruleId": "unrecognised-file",
                "ruleIndex": rules.index("unrecognised-file", "note"),
                "level": "note",
                "kind": "review",
                "message": {"text": f"{path}: not vetted and not evidence: {reason}"},
                "locations": [_location(vet, path, None)],
                "partialFingerprints": {_FINGERPRINT: _fingerprint("unrecognised", path)},
            }
        )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "provenance",
                "version": vet.tool_version,
                "rules": rules.descriptors(),
            }
        },
    }
    base_locations = _base_locations(vet)
    if base_locations:
        run["originalUriBaseIds"] = base_locations
    run.update(
        {
            "artifacts": artifacts,
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {
                "decision": vet.decision,
                "segment": vet.segment,
                "policy": {"path": vet.policy_path, "sha256": vet.policy_sha256},
                "delivery": {
                    "path": vet.delivery_path,
                    "kind": vet.delivery_kind,
                    "sha256": vet.delivery_sha256,
                },
            },
        }
    )
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(result: Mapping[str, Any]) -> str:
    return json.dumps(sarif_log(result), indent=2) + "\n"
