"""`provenance policy test POLICY CASES_DIR`: recorded decisions as policy unit tests.

Each case is a folder holding `case.yaml` and the files it names:

    description: L1 firmware with two approvals is admitted
    segment: level1-controllers
    artifact: plc-firmware-4.2.1.bin        # a file in the case folder, or sha256:<hex>
    evidence: [plc-firmware-4.2.1.bin.sigstore.json, alice.approval.json]  # default: beside it
    now: "2026-06-02T00:00:00Z"             # the clock for this case (default: real time)
    version: "4.2.1"                        # the operator's --artifact-version (optional)
    product: pkg:generic/acme/plc-firmware  # the operator's --product (optional)
    admitted:                               # earlier admissions to the segment (rollback)
      - {product: pkg:generic/acme/plc-firmware, version: "4.3.0"}
    expect: deny                            # allow | deny
    failing: [rollback]                     # optional: exactly these requirements fail

Like `opa test`: every case runs, each is reported, any mismatch fails the run. Cases never
touch the gate's state: no store, ledger or audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from provenance.clock import Clock, utc_now
from provenance.commands.evaluation import GateInputs, examine, judge
from provenance.decision.segment import Decision, compile_segment
from provenance.errors import UsageError
from provenance.inputs.artifact import Artifact, artifact_from_argument
from provenance.inputs.files import read_bounded
from provenance.policy import load_policy
from provenance.verification.evidence_set import discover_evidence

__all__ = ["CaseResult", "run_policy_tests"]

CASE_FILE = "case.yaml"
MAX_CASE_BYTES = 64 * 1024
_FIELDS = {
    "description", "segment", "artifact", "evidence", "now", "version", "product",
    "admitted", "expect", "failing",
}  # fmt: skip
_REQUIRED = {"segment", "artifact", "expect"}


@dataclass(frozen=True)
class CaseResult:
    name: str
    description: str
    passed: bool
    expected: str
    got: str
    detail: str  # why it differs, or the decision's reason


class _RecordedHistory:
    """Earlier admissions listed in a case, standing in for the ledger."""

    def __init__(self, admitted: Sequence[dict[str, str]]) -> None:
        self._admitted = admitted

    def newest_version(self, product: str, segment: str, key: Callable[[str], Any]) -> str | None:
        versions = [entry["version"] for entry in self._admitted if entry["product"] == product]
        return max(versions, key=key) if versions else None


def _case_error(path: Path, problem: str) -> UsageError:
    return UsageError(f"{path}: {problem}")


def _load_case(folder: Path) -> dict[str, Any]:
    path = folder / CASE_FILE
    data = read_bounded(path, MAX_CASE_BYTES, "policy test case")
    if data is None:
        raise _case_error(path, f"larger than {MAX_CASE_BYTES} bytes")
    try:
        case = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise _case_error(path, f"invalid YAML: {exc}") from exc
    if not isinstance(case, dict):
        raise _case_error(path, "expected a mapping")
    unknown, missing = set(case) - _FIELDS, _REQUIRED - set(case)
    if unknown:
        raise _case_error(path, f"unknown keys {', '.join(sorted(map(str, unknown)))}")
    if missing:
        raise _case_error(path, f"missing keys {', '.join(sorted(missing))}")
    if case["expect"] not in ("allow", "deny"):
        raise _case_error(path, f"expect: expected allow or deny, got {case['expect']!r}")
    admitted = case.get("admitted", [])
    if not isinstance(admitted, list) or not all(
        isinstance(e, dict) and set(e) == {"product", "version"} for e in admitted
    ):
        raise _case_error(path, "admitted: expected a list of {product, version}")
    return case


def _clock(case: dict[str, Any], path: Path, default: Clock) -> datetime:
    if "now" not in case:
        return default()
    try:
        moment = datetime.fromisoformat(str(case["now"]))
    except ValueError as exc:
        raise _case_error(path, f"now: expected an RFC 3339 time, got {case['now']!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _artifact(case: dict[str, Any], folder: Path) -> tuple[Artifact, Path | None]:
    named = str(case["artifact"])
    if named.startswith("sha256:"):
        return artifact_from_argument(named), None
    path = folder / named
    return artifact_from_argument(str(path)), path


def _compare(case: dict[str, Any], decision: Decision) -> str:
    got = "allow" if decision.allowed else "deny"
    if got != case["expect"]:
        return f"expected {case['expect']}, got {got}" + (
            f" ({decision.reason})" if decision.reason else ""
        )
    if "failing" in case:
        wanted = sorted(map(str, case["failing"]))
        failed = sorted({finding.rule for finding in decision.failures})
        if failed != wanted:
            return f"expected failing requirements {wanted}, got {failed}"
    return ""


def run_policy_tests(
    policy_path: Path, cases_dir: Path, *, clock: Clock = utc_now
) -> list[CaseResult]:
    policy = load_policy(policy_path)
    inputs = GateInputs.from_policy(policy)
    if not cases_dir.is_dir():
        raise UsageError(f"{cases_dir}: expected a folder of cases, got none")
    folders = sorted(p for p in cases_dir.iterdir() if (p / CASE_FILE).is_file())
    if not folders:
        raise UsageError(f"{cases_dir}: no case folders (each holds a {CASE_FILE})")
    results = []
    for folder in folders:
        case = _load_case(folder)
        now = _clock(case, folder / CASE_FILE, clock)
        artifact, path = _artifact(case, folder)
        evidence = (
            [folder / str(name) for name in case["evidence"]]
            if "evidence" in case
            else (discover_evidence(path) if path else [])
        )
        segment = str(case["segment"])
        examination = examine(
            inputs,
            artifact,
            evidence,
            now=now,
            operator_product=case.get("product"),
            operator_version=str(case["version"]) if "version" in case else None,
            segment=segment,
        )
        decision = judge(
            compile_segment(policy, segment),
            examination,
            segment=segment,
            now=now,
            history=_RecordedHistory(case.get("admitted", [])),
        )
        mismatch = _compare(case, decision)
        results.append(
            CaseResult(
                name=folder.name,
                description=str(case.get("description", "")),
                passed=not mismatch,
                expected=str(case["expect"]),
                got="allow" if decision.allowed else "deny",
                detail=mismatch or decision.reason,
            )
        )
    return results
