"""`provenance vet DELIVERY --policy P --segment S`: a decision for every file of a delivery.

1. Load the policy once and compile the segment (a bad policy or segment: `UsageError`).
2. Open the delivery (`open_delivery`): an archive is copied, hashed and safely extracted
   into a private directory, or refused as a whole (a denial with the reason, no artifacts).
3. Hand each artifact its evidence: the files beside it by convention (`discover_evidence`,
   answered from the listing of its folder made in step 2: each folder is listed once) and
   evidence recognised by content whose subject digest is the artifact's (a dictionary from
   digest to evidence, built once). Nothing here is per pair of files: vetting is linear in
   the delivery.
4. Decide about each artifact exactly as `provenance verify --segment` does (snapshot,
   `examine`, `judge`, `decision_to_dict`), in parallel across processes when there are many
   (verification is CPU bound), with one clock reading for the whole delivery. Each process
   keeps the Sigstore verifications it made (`VerificationMemo`): the same bundle bytes over
   the same digest (identical copies, a bundle found by content for each of them) are
   verified once, and every copy is still decided and reported on its own.
5. Name everything relative to the delivery root. Every file is an artifact (decided),
   evidence an artifact used, a declared document (not vetted), or refused: evidence that
   verified nothing for any artifact, a file whose name says evidence or document but whose
   content runs or unpacks, a link or special file. The delivery is allowed only if every
   artifact is and no file is refused.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from provenance.clock import Clock, utc_now
from provenance.commands.evaluation import (
    GateInputs,
    examine,
    judge,
    state_crls,
    vulnerability_db_for,
)
from provenance.decision.context import NoHistory
from provenance.decision.rules import AllOf
from provenance.decision.segment import compile_segment
from provenance.errors import PolicyError, ProvenanceError, UsageError
from provenance.evidence.checksum_list import MAX_CHECKSUM_LIST_BYTES, parse_checksum_list
from provenance.evidence.in_toto_metadata import parse_link, read_metadata
from provenance.inputs.artifact import sha256_file, snapshot
from provenance.inputs.delivery import (
    ATTACHED_KINDS,
    Delivery,
    DeliveryKind,
    EvidenceFile,
    Unrecognised,
    open_delivery,
)
from provenance.inputs.delivery_archive import DeliveryRefused, Limits, archive_kind
from provenance.inputs.files import read_bounded
from provenance.policy import Policy, load_policy
from provenance.report.decision_report import decision_to_dict
from provenance.steps import doing
from provenance.verification.evidence_set import VerificationMemo

__all__ = [
    "MIN_PARALLEL_ARTIFACTS",
    "POOL_WORTH_SECONDS",
    "EvidenceEntry",
    "Progress",
    "VetResult",
    "vet",
]

# Below this many artifacts, starting worker processes costs more than it saves; this many
# are always decided in the vet process itself, first (a forked worker inherits what they
# verified: identical copies later on are not verified again).
MIN_PARALLEL_ARTIFACTS = 16
# Worker processes start only for the artifacts after those when deciding them here would
# take longer than this (CPU seconds, estimated from the first ones): starting two workers
# costs about 0.05 s, and a run of identical copies or small files is over sooner alone.
POOL_WORTH_SECONDS = 0.25
# Work units per worker: small enough for an even spread and a moving progress bar.
_CHUNKS_PER_WORKER = 8

Progress = Callable[[int, int], None]  # (artifacts decided, artifacts in all)


@dataclass(frozen=True)
class EvidenceEntry:
    path: str
    kind: str


@dataclass(frozen=True)
class VetResult:
    """Every decision about a delivery; `artifacts` are decision-result.v1 objects."""

    delivery_path: str
    delivery_kind: DeliveryKind
    delivery_sha256: str | None
    segment: str
    policy_path: str
    policy_sha256: str
    refused: str | None
    artifacts: tuple[dict[str, Any], ...]
    evidence_files: tuple[EvidenceEntry, ...]
    unrecognised: tuple[Unrecognised, ...]  # notes: not decided about, for a reason
    documents: tuple[str, ...] = ()  # declared documentation: not vetted, not for deployment
    refused_files: tuple[Unrecognised, ...] = ()  # each denies the delivery

    @property
    def decision(self) -> Literal["allow", "deny"]:
        # An empty delivery admits nothing: there is nothing it could be allowed for.
        if (
            self.refused is None
            and not self.refused_files
            and self.artifacts
            and all(item["decision"] == "allow" for item in self.artifacts)
        ):
            return "allow"
        return "deny"

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"


def vet(
    delivery: Path,
    *,
    policy_path: Path,
    segment: str,
    workers: int | None = None,
    clock: Clock = utc_now,
    progress: Progress | None = None,
    limits: Limits | None = None,
    state_dir: Path | None = None,
) -> VetResult:
    """Decide about every artifact in `delivery` for `segment` under the policy.

    `workers`: processes to use at most (None: one per CPU; 1: in this process; worker
    processes start only when the work is worth their start-up). Raises `UsageError`
    if the command cannot run (policy, segment, unreadable delivery); a refused archive and
    denied artifacts are results. `state_dir`: where the vulnerability database is, for a
    segment with a `vulnerabilities` rule.
    """
    gate = _Gate.load(policy_path, segment, state_dir)  # step 1
    now = clock()
    with tempfile.TemporaryDirectory(prefix="provenance-vet-") as scratch:
        try:
            with doing("opening the delivery", str(delivery)):
                opened = open_delivery(
                    delivery,
                    Path(scratch),
                    limits=limits,
                    operator_files={
                        policy_path.resolve(): "the policy given with --policy (the operator's "
                        "configuration, not delivery content)"
                    },
                    documents=gate.policy.documents,
                )
        except DeliveryRefused as refusal:
            return _refused(delivery, gate, str(refusal))
        jobs = _jobs(opened, gate, now)  # step 3
        decided = _run(jobs, _by_content(opened), gate, workers, progress)  # step 4
        malformed = _not_what_named(opened)
    return _result(opened, gate, decided, malformed)  # step 5


@dataclass(frozen=True)
class _Job:
    """One artifact to decide about: plain values, so it can go to a worker process."""

    index: int
    name: str
    path: str
    by_name: tuple[str, ...]  # evidence beside it by convention (`discover_evidence`)
    renames: tuple[tuple[str, str], ...]
    key: _GateKey
    now: datetime


# Evidence recognised by content, by the SHA-256 (hex) its subject names: paths in delivery
# order. Sent once with each chunk of jobs, never once per job.
_ByContent = Mapping[str, tuple[str, ...]]


# (policy path, policy sha256, segment, state directory or "")
_GateKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class _Gate:
    policy: Policy
    inputs: GateInputs
    rules: AllOf
    segment: str
    state_dir: Path | None
    # This process's Sigstore verifications in this run (one policy, segment and clock).
    memo: VerificationMemo = field(default_factory=VerificationMemo, compare=False)

    @property
    def key(self) -> _GateKey:
        state = str(self.state_dir) if self.state_dir is not None else ""
        return (self.policy.path, self.policy.sha256, self.segment, state)

    @classmethod
    def load(cls, policy_path: Path, segment: str, state_dir: Path | None) -> _Gate:
        policy = load_policy(policy_path)
        inputs = GateInputs.from_policy(
            policy,
            vulnerability_db=vulnerability_db_for(policy, segment, state_dir),
            crls=state_crls(state_dir),
            state_dir=state_dir,
        )
        gate = cls(policy, inputs, compile_segment(policy, segment), segment, state_dir)
        # Worker processes forked from here find it; others load it once (`_gate_for`).
        _LOADED.clear()
        _LOADED[gate.key] = gate
        return gate


# The gate of the current vet run, per process: a worker loads the policy once, not once
# per artifact (policies are not picklable; their digest proves it is the same file).
_LOADED: dict[_GateKey, _Gate] = {}


def _gate_for(key: _GateKey) -> _Gate:
    gate = _LOADED.get(key)
    if gate is not None:
        return gate
    path, sha256, segment, state = key
    try:
        gate = _Gate.load(Path(path), segment, Path(state) if state else None)
    except PolicyError as exc:  # its constructor takes four arguments: not picklable back
        raise UsageError(str(exc)) from None
    if gate.policy.sha256 != sha256:
        raise UsageError(f"{path}: the policy changed during the run (expected sha256 {sha256})")
    return gate


def _jobs(opened: Delivery, gate: _Gate, now: datetime) -> list[_Job]:
    return [
        _Job(
            index=index,
            name=artifact.name,
            path=str(artifact.path),
            by_name=tuple(str(path) for path in opened.evidence_beside(artifact)),
            renames=opened.renames,
            key=gate.key,
            now=now,
        )
        for index, artifact in enumerate(opened.artifacts)
    ]


def _by_content(opened: Delivery) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for item in opened.evidence:
        for digest in dict.fromkeys(item.subjects):
            index.setdefault(digest, []).append(str(item.path))
    return {digest: tuple(paths) for digest, paths in index.items()}


@dataclass(frozen=True)
class _Decided:
    index: int
    result: dict[str, Any]  # decision-result.v1
    used: frozenset[str]  # evidence paths that yielded a fact (`Assessment.used`)
    problems: tuple[tuple[str, str], ...]  # (source, reason) of evidence that did not verify


def _run(
    jobs: Sequence[_Job],
    by_content: _ByContent,
    gate: _Gate,
    workers: int | None,
    progress: Progress | None,
) -> list[_Decided]:
    """Decide every job: the first ones here; the rest in worker processes when there are
    workers to use and the first ones show the rest is worth their start-up."""
    total = len(jobs)
    wanted = workers if workers is not None else (os.cpu_count() or 1)
    if wanted < 1:
        raise UsageError(f"--workers: expected at least 1, got {wanted}")
    decided: list[_Decided] = []
    with tempfile.TemporaryDirectory(prefix="provenance-vet-copies-") as scratch:
        copies = _copy_folder(Path(scratch))
        first = len(jobs) if wanted == 1 else min(len(jobs), MIN_PARALLEL_ARTIFACTS)
        started = time.process_time()
        for job in jobs[:first]:
            decided.append(_decide(gate, job, by_content, copies))
            if progress is not None:
                progress(len(decided), total)
        rest = jobs[first:]
        # What the first ones cost, for each of the rest: identical copies of an artifact
        # decided already, or small signed files, are not worth starting processes for.
        each = (time.process_time() - started) / max(first, 1)
        if each * len(rest) < POOL_WORTH_SECONDS:
            for job in rest:
                decided.append(_decide(gate, job, by_content, copies))
                if progress is not None:
                    progress(len(decided), total)
            return decided
    size = max(1, -(-len(rest) // (wanted * _CHUNKS_PER_WORKER)))
    chunks = [list(rest[start : start + size]) for start in range(0, len(rest), size)]
    with ProcessPoolExecutor(max_workers=min(wanted, len(chunks))) as pool:
        futures = [pool.submit(_decide_chunk, chunk, by_content) for chunk in chunks]
        for future in as_completed(futures):
            decided.extend(future.result())
            if progress is not None:
                progress(len(decided), total)
    return sorted(decided, key=lambda item: item.index)


def _decide_chunk(jobs: Sequence[_Job], by_content: _ByContent) -> list[_Decided]:
    """In a worker process: decide about a run of artifacts."""
    gate = _gate_for(jobs[0].key)
    with tempfile.TemporaryDirectory(prefix="provenance-vet-copies-") as scratch:
        copies = _copy_folder(Path(scratch))
        return [_decide(gate, job, by_content, copies) for job in jobs]


def _copy_folder(scratch: Path) -> Path:
    """The private folder each artifact is copied into in turn (one at a time per process:
    a folder per artifact cost a mkdir and an rmdir each)."""
    folder = scratch / "copy"
    folder.mkdir(mode=0o700)
    return folder


def _decide(gate: _Gate, job: _Job, by_content: _ByContent, folder: Path) -> _Decided:
    """One artifact, as `provenance verify --segment` decides it, on a private copy of it
    in `folder` (removed afterwards, so the folder is empty again)."""
    with doing("deciding about", job.name):
        return _decide_one(gate, job, by_content, folder)


def _decide_one(gate: _Gate, job: _Job, by_content: _ByContent, folder: Path) -> _Decided:
    subject = snapshot(job.path, folder)
    try:
        digest = subject.sha256.hex()
        evidence = list(dict.fromkeys((*job.by_name, *by_content.get(digest, ()))))
        examination = examine(
            gate.inputs,
            subject,
            [Path(p) for p in evidence],
            now=job.now,
            segment=gate.segment,
            memo=gate.memo,
        )
    finally:
        if subject.path is not None:
            subject.path.unlink()
    shown_folder = job.name.rpartition("/")[0]
    renames = (*job.renames, (str(folder), shown_folder + "/" if shown_folder else ""))
    decision = judge(
        gate.rules, examination, segment=gate.segment, now=job.now, history=NoHistory()
    )
    result = decision_to_dict(
        artifact_name=job.path,
        sha256=digest,
        segment=gate.segment,
        policy=gate.policy,
        examination=examination,
        decision=decision,
    )
    policy = result["policy"]  # the operator's path, even when it lies inside the delivery
    result = _renamed(result, renames)
    result["artifact"]["name"] = job.name
    result["policy"] = policy
    problems = tuple((p.source, p.reason) for p in examination.assessment.problems)
    return _Decided(job.index, result, examination.assessment.used, problems)


def _renamed(value: Any, renames: Sequence[tuple[str, str]]) -> Any:
    """`value` with every private or absolute folder replaced by its name in the delivery."""
    if isinstance(value, str):
        for real, prefix in renames:
            value = value.replace(real + os.sep, prefix)
        return value
    if isinstance(value, dict):
        return {key: _renamed(item, renames) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, renames) for item in value]
    return value


def _not_what_named(opened: Delivery) -> dict[str, str]:
    """Evidence named as a checksum list or an in-toto link that does not parse as one (by
    its path): other evidence reads these, so they are never `used` themselves, and a name
    alone must not make a file pass as evidence."""
    malformed: dict[str, str] = {}
    for entry in opened.evidence:
        try:
            if entry.by_content:
                continue
            if entry.kind == "checksum-list":
                data = read_bounded(entry.path, MAX_CHECKSUM_LIST_BYTES, "checksum list")
                parse_checksum_list(data or b"", entry.name)
            elif entry.kind == "in-toto-link":
                parse_link(read_metadata(entry.path))
        except ProvenanceError as problem:
            malformed[str(entry.path)] = f"named as {entry.kind}, but it is not one: {problem}"
    return malformed


def _result(
    opened: Delivery, gate: _Gate, decided: Sequence[_Decided], malformed: Mapping[str, str]
) -> VetResult:
    used = {path for item in decided for path in item.used}
    failures: dict[str, str] = {}  # evidence path -> the first reason it did not verify
    for item in decided:
        for source, reason in item.problems:
            failures.setdefault(_file_of(source), reason)
    evidence: list[EvidenceFile] = []
    refused = list(opened.refused)
    for entry in opened.evidence:
        if entry.kind in ATTACHED_KINDS and str(entry.path) not in used:
            refused.append(Unrecognised(entry.name, _unused_reason(entry, failures)))
        elif str(entry.path) in malformed:
            refused.append(Unrecognised(entry.name, malformed[str(entry.path)]))
        else:
            evidence.append(entry)
    renames = opened.renames
    return VetResult(
        delivery_path=opened.path,
        delivery_kind=opened.kind,
        delivery_sha256=opened.sha256,
        segment=gate.segment,
        policy_path=gate.policy.path,
        policy_sha256=gate.policy.sha256,
        refused=None,
        artifacts=tuple(item.result for item in decided),
        evidence_files=tuple(EvidenceEntry(item.name, item.kind) for item in evidence),
        unrecognised=opened.unrecognised,
        documents=opened.documents,
        refused_files=tuple(
            Unrecognised(item.name, _renamed(item.reason, renames))
            for item in sorted(refused, key=lambda item: item.name)
        ),
    )


def _file_of(source: str) -> str:
    """The evidence file a problem's source names (`file.jsonl:3` is a line of a file)."""
    head, colon, line = source.rpartition(":")
    return head if colon and line.isdigit() else source


def _unused_reason(item: EvidenceFile, failures: Mapping[str, str]) -> str:
    failed = failures.get(str(item.path))
    if failed is not None:
        return f"{item.kind} that verified nothing: {failed}"
    if item.by_content:
        return (
            f"{item.kind} (by its content) about no file in the delivery: its subject digest "
            "matches none"
        )
    return (
        f"{item.kind} (by its name) for no file in the delivery: expected it beside the file "
        "it is named after"
    )


def _refused(delivery: Path, gate: _Gate, reason: str) -> VetResult:
    is_file = delivery.is_file()
    return VetResult(
        delivery_path=str(delivery),
        delivery_kind=(archive_kind(delivery) or "file") if is_file else "directory",
        delivery_sha256=sha256_file(delivery).hex() if is_file else None,
        segment=gate.segment,
        policy_path=gate.policy.path,
        policy_sha256=gate.policy.sha256,
        refused=" ".join(reason.split()),
        artifacts=(),
        evidence_files=(),
        unrecognised=(),
    )
