"""How `provenance audit verify` scales with the log: peak memory and CPU per record.

For each size, a state directory holds that many admissions, as the gate writes them: each an
audit record of about 6,000 bytes of canonical JSON (signers, findings, the evidence
inputs), signed, with the log's signed checkpoint, the Merkle tree, a store file and a VSA
file. Then `provenance audit verify` runs in its own process, which checks everything: the
chain and every signature, the tree and every checkpoint, every admission against its record,
its store file (re-hashed) and its VSA file, and the orphan scan. Reported: CPU time (user +
system), CPU per record, and peak resident memory, each against the smallest size.

There is no other tool to compare with; the reference is the smallest log. The targets
(issue 15): peak memory within 1.5x of 1k (the release before held every record: 628 MiB at
100k), and CPU per record flat. `python -m benchmarks` runs 1,000 and 10,000 admissions:
building 100,000 takes 4 to 8 minutes on its own (`--audit-sizes 1000 10000 100000`).

Building the state directories skips fsync (`os.fsync` is replaced while building only): the
data is the gate's, written by its own code, and durability is not what is measured.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import Context, Row, run_process, seconds
from provenance.record import (
    AuditEvent,
    ContentStore,
    FindingSummary,
    Ledger,
    PolicyRef,
    SignerEvidence,
    StateDir,
    record_admit,
)
from provenance.signing.keys import generate_key

SEGMENT = "level1-controllers"
ADMISSIONS_PER_TRANSACTION = 1000
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
RULES = ("vendor_signature", "signed_by", "freshness", "provenance", "sbom", "licenses",
         "version", "rollback", "approvals")  # fmt: skip


@contextmanager
def _without_fsync() -> Iterator[None]:
    original = os.fsync
    os.fsync = lambda fd: None
    try:
        yield
    finally:
        os.fsync = original


def _event(index: int, digest: str, event_bytes: int) -> AuditEvent:
    """An admission's event, padded with evidence inputs to about `event_bytes` of JSON."""
    signer = SignerEvidence(
        method="sigstore-identity",
        identity="https://github.com/acme/plc-fw/.github/workflows/release.yml@refs/tags/v4.2.1",
        issuer="https://token.actions.githubusercontent.com",
        vendor="acme-automation",
        signed_at=T0,
        log_index=100_000 + index,
        log_url="https://rekor.sigstore.dev",
        trust_root="embedded:production",
        evidence_file=f"plc-firmware-{index}.bin.sigstore.json",
    )
    findings = tuple(
        FindingSummary(rule, True, f"{rule}: expected the requirement met, got it met ({index})")
        for rule in RULES
    )
    base = AuditEvent(
        kind="admit",
        at=T0 + timedelta(seconds=index),
        artifact_name=f"plc-firmware-{index}.bin",
        artifact_sha256=digest,
        segment=SEGMENT,
        policy=PolicyRef(path="/etc/provenance/site.yaml", sha256="ab" * 32),
        product="pkg:generic/acme-automation/plc-firmware",
        version=f"4.{index // 1000}.{index % 1000}",
        signers=(signer,),
        findings=findings,
        operator="ot-engineer",
    )
    room = max(0, event_bytes - len(base.to_json()))
    inputs = [
        {"path": f"evidence/plc-firmware-{index}.bin.att-{n}.json",
         "sha256": hashlib.sha256(f"{index}/{n}".encode()).hexdigest()}
        for n in range(room // 120)
    ]  # fmt: skip
    return AuditEvent(**{**base.__dict__, "details": {"inputs": inputs}})


def build(root: Path, count: int, event_bytes: int) -> Path:
    state = StateDir.open(root / "state", create=True)
    key = generate_key(state.root / "site.key", "ed25519")
    sources = root / "sources"
    sources.mkdir()
    store = ContentStore(state)
    with _without_fsync(), Ledger.open(state.ledger_path, create=True) as ledger:
        for first in range(0, count, ADMISSIONS_PER_TRANSACTION):
            with ledger.transaction() as transaction:
                for index in range(first, min(count, first + ADMISSIONS_PER_TRANSACTION)):
                    source = sources / "artifact.bin"
                    source.write_bytes(f"firmware image {index}\n".encode() * 4)
                    staged = store.stage_copy(source)
                    record_admit(
                        transaction,
                        state,
                        staged,
                        event=_event(index, staged.sha256_hex, event_bytes),
                        make_vsa=lambda inclusion: str(inclusion.to_json()),
                        evidence={"signers": 1},
                        signer=key,
                    )
            print(f"  built {min(count, first + ADMISSIONS_PER_TRANSACTION)}/{count}",
                  file=sys.stderr, end="\r")  # fmt: skip
    print(file=sys.stderr)
    return state.root


def measure(state: Path, context: Context) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in bytes) of one `audit verify` process."""
    command = [sys.executable, "-m", "provenance", "audit", "verify", "--state-dir", str(state)]
    sample = run_process(command, context, check=lambda err: err.startswith("OK: audit log intact"))
    return sample.wall, sample.cpu, sample.rss


EVENT_BYTES = 6000
MEMORY_TARGET = 1.5


def benchmark(context: Context, sizes: Sequence[int] = (1000, 10_000)) -> list[Row]:
    rows = []
    first: tuple[float, int] | None = None  # (CPU per record, peak RSS) at the smallest size
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="audit-verify-bench-", dir=context.scratch) as d:
            state = build(Path(d), size, EVENT_BYTES)
            ledger_mb = (state / "ledger.sqlite3").stat().st_size / 1e6
            if size == sizes[0]:
                measure(state, context)  # warm-up: the bytecode cache
            wall, cpu, peak = measure(state, context)
        per_record = cpu / size
        if first is None:
            first = (per_record, peak)
        memory = peak / first[1]
        smallest = size == sizes[0]
        rows.append(
            Row(
                f"`audit verify` of {size:,} admissions (ledger {ledger_mb:.1f} MB): CPU per "
                f"record (whole process: CPU {seconds(cpu)}, wall {seconds(wall)}, peak "
                f"memory {peak / 2**20:.1f} MiB{'' if smallest else f', {memory:.2f}x'}); "
                f"reference: the same at {sizes[0]:,}",
                seconds(per_record),
                "" if smallest else seconds(first[0]),
                "" if smallest else f"{per_record / first[0]:.2f}",
                "" if smallest else f"memory <= {MEMORY_TARGET}x",
                None if smallest else memory <= MEMORY_TARGET,
            )
        )
    return rows
