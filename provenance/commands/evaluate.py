"""`provenance verify ARTIFACT --policy P --segment S`: the gate's decision, without admitting.

The same evidence discovery, verification and rules as `provenance admit`, for CI gates and
for an engineer checking a delivery before the change window. Nothing is written. Without
the ledger there is no admission history, so `rollback` passes here; `admit` checks it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from provenance.clock import Clock, utc_now
from provenance.commands.evaluation import (
    Examination,
    GateInputs,
    examine,
    judge,
    state_crls,
    vulnerability_db_for,
)
from provenance.decision.context import NoHistory
from provenance.decision.segment import Decision, compile_segment
from provenance.errors import UsageError
from provenance.inputs.artifact import snapshot
from provenance.inputs.documents import EvidenceDocument
from provenance.policy import Policy, load_policy
from provenance.verification.evidence_set import discover_evidence

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    artifact_name: str
    sha256: str
    segment: str
    policy: Policy
    examination: Examination
    decision: Decision

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


def evaluate(
    artifact: str,
    evidence: Sequence[Path] = (),
    *,
    policy_path: Path,
    segment: str,
    fetched: Sequence[EvidenceDocument] = (),
    product: str | None = None,
    version: str | None = None,
    expected_sha256: str | None = None,
    run_inspections: bool = False,
    online_revocation: bool = False,
    state_dir: Path | None = None,
    clock: Clock = utc_now,
) -> Evaluation:
    """Decide about `artifact` (a path, or `sha256:<hex>`) for `segment`.

    `evidence`: files to examine (default: those beside the artifact by convention).
    `fetched`: evidence already in memory (attestations from an API). `expected_sha256`: a
    digest the operator copied from the vendor's portal (the weakest evidence). `state_dir`:
    where the vulnerability database is, for a segment with a `vulnerabilities` rule, and
    the CRLs the gate carries (read only; nothing is written).
    Raises `UsageError` if the command cannot run; a denial is a result.
    """
    policy = load_policy(policy_path)
    rules = compile_segment(policy, segment)
    inputs = GateInputs.from_policy(
        policy,
        vulnerability_db=vulnerability_db_for(policy, segment, state_dir),
        crls=state_crls(state_dir),
        state_dir=state_dir,
    )
    with tempfile.TemporaryDirectory(prefix="provenance-verify-") as scratch:
        # Every check reads the same private copy (see `snapshot`); nothing is written
        # anywhere else, and the copy goes with the directory.
        subject = snapshot(artifact, Path(scratch))
        files = list(evidence)
        if not files and subject.delivered_path is not None:
            files = discover_evidence(subject.delivered_path)
        if not files and not fetched and subject.path is None and expected_sha256 is None:
            raise UsageError(f"{artifact}: a digest has no evidence beside it; give --evidence")
        examination = examine(
            inputs,
            subject,
            [*files, *fetched],
            now=clock(),
            operator_product=product,
            operator_version=version,
            expected_sha256=expected_sha256,
            run_inspections=run_inspections,
            online_revocation=online_revocation,
            segment=segment,
        )
    decision = judge(rules, examination, segment=segment, now=clock(), history=NoHistory())
    return Evaluation(
        artifact_name=artifact,
        sha256=subject.sha256.hex(),
        segment=segment,
        policy=policy,
        examination=examination,
        decision=decision,
    )
