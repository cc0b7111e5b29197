"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One result per failed requirement of each artifact (level `error` when the artifact is
denied), plus a warning per piece of evidence that did not verify, an error per refused file,
a note per entry not decided about, and an error when an archive was refused. Results of an
allowed artifact are notes (evidence that did not verify beside evidence that did); an
allowed artifact with nothing to say has no result. Every result is located for code scanning
(`sarif_locations`): a path relative to the repository checkout that exists there (an archive
member at its archive, named in a logical location), with a region. Rules carry short and full
descriptions and help text (`requirement_help`). The output validates against the OASIS SARIF
2.1.0 schema (errata 01); a test checks it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from provenance.report.requirement_help import help_for
from provenance.report.sarif_locations import artifact_location, sarif_root
from provenance.report.vet_view import ArtifactView, VetView, view

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "render_sarif", "sarif_log"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# GitHub code scanning orders alerts by this (0.0-10.0): a denied artifact is a high.
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "note": "1.0"}
_FINGERPRINT = "provenanceFinding/v1"


def _on_disk(result: VetView, name: str) -> tuple[Path, str | None]:
    """The file a delivery's entry is (or the archive holding it) and the member inside."""
    delivery = Path(result.delivery_path)
    if result.delivery_kind == "file":
        return Path(name), None
    if result.delivery_kind != "directory":
        return delivery, name
    outer, bang, inner = name.partition("!/")  # a member of an archive inside the folder
    return delivery / outer, (inner if bang else None)


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


def _location(result: VetView, name: str, index: int | None, root: Path) -> dict[str, Any]:
    path, member = _on_disk(result, name)
    location = artifact_location(path, root, member=member)
    if index is not None:
        location["physicalLocation"]["artifactLocation"]["index"] = index
    return location


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _artifact_results(
    result: VetView, artifact: ArtifactView, index: int, rules: _Rules, root: Path
) -> list[dict[str, Any]]:
    results = []
    # An allowed artifact's results are notes (an advisory requirement, evidence that did not
    # verify beside evidence that did): code scanning shows them without raising an alert.
    level = "note" if artifact.allowed else "error"
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
                "locations": [_location(result, artifact.name, index, root)],
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
                "level": "note" if artifact.allowed else "warning",
                "kind": "fail",
                "message": {
                    "text": f"{source}: evidence for {artifact.name} did not verify: {reason}"
                },
                "locations": [_location(result, artifact.name, index, root)],
                "partialFingerprints": {
                    _FINGERPRINT: _fingerprint(artifact.sha256, source, reason)
                },
            }
        )
    return results


def sarif_log(result: Mapping[str, Any], *, root: Path | None = None) -> dict[str, Any]:
    """The SARIF log as a dict (one run); URIs relative to `root` (`sarif_root`)."""
    vet = view(result)
    base = sarif_root(root)
    rules = _Rules()
    artifacts = []
    for artifact in vet.artifacts:
        location = _location(vet, artifact.name, None, base)
        artifacts.append(
            {
                "location": location["physicalLocation"]["artifactLocation"],
                "hashes": {"sha-256": artifact.sha256},
                "roles": ["analysisTarget"],
            }
        )
    results: list[dict[str, Any]] = []
    if vet.refused is not None:
        archive = Path(vet.delivery_path)
        results.append(
            {
                "ruleId": "delivery-refused",
                "ruleIndex": rules.index("delivery-refused", "error"),
                "level": "error",
                "kind": "fail",
                "message": {"text": f"{vet.delivery_path}: refused: {vet.refused}"},
                "locations": [artifact_location(archive, base)],
                "partialFingerprints": {
                    _FINGERPRINT: _fingerprint(vet.delivery_sha256 or vet.delivery_path)
                },
            }
        )
    for index, artifact in enumerate(vet.artifacts):
        # Passing requirements are still rules of the run: code scanning closes their alerts.
        for requirement in artifact.requirements:
            rules.index(requirement.rule, "error")
        results += _artifact_results(vet, artifact, index, rules, base)
    for path, reason in vet.refused_files:
        results.append(
            {
                "ruleId": "refused-file",
                "ruleIndex": rules.index("refused-file", "error"),
                "level": "error",
                "kind": "fail",
                "message": {"text": f"{path}: refused, so the delivery is denied: {reason}"},
                "locations": [_location(vet, path, None, base)],
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
                "message": {"text": f"{path}: not decided about: {reason}"},
                "locations": [_location(vet, path, None, base)],
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
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(result: Mapping[str, Any], *, root: Path | None = None) -> str:
    return json.dumps(sarif_log(result, root=root), indent=2) + "\n"
