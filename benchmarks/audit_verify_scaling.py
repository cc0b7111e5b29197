"""How `provenance audit verify` scales with the log: peak memory and CPU per record.

    python benchmarks/audit_verify_scaling.py [--sizes 1000 10000 100000] [--event-bytes 6000]

For each size, a state directory holds that many admissions, as the gate writes them: each an
audit record of about `--event-bytes` of canonical JSON (signers, findings, the evidence
inputs), signed, with the log's signed checkpoint, the Merkle tree, a store file and a VSA
file. Then `provenance audit verify` runs in its own process, which checks everything: the
chain and every signature, the tree and every checkpoint, every admission against its record,
its store file (re-hashed) and its VSA file, and the orphan scan. Reported: CPU time (user +
system), CPU per record, and peak resident memory, each against the smallest size.

There is no other tool to compare with; the reference is the smallest log. The targets
(issue 15): peak memory at 100k records within 1.5x of 1k (the previous release held every
record: 628 MiB at 100k), and CPU per record flat.

Building the state directories skips fsync (`os.fsync` is replaced while building only): the
data is the gate's, written by its own code, and durability is not what is measured.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def measure(state: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in KiB) of one `audit verify` process."""
    command = [sys.executable, "-m", "provenance", "audit", "verify", "--state-dir", str(state)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    error = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0 or not error.startswith("OK: audit log intact"):
        sys.exit(f"audit verify failed: {error[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--event-bytes", type=int, default=6000)
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="audit-verify-bench-") as scratch:
            print(f"{size} admissions:", file=sys.stderr)
            state = build(Path(scratch), size, args.event_bytes)
            ledger_bytes = (state / "ledger.sqlite3").stat().st_size
            wall, cpu, peak = measure(state)
            rows.append((size, ledger_bytes, wall, cpu, peak))
    first_cpu_per_record = rows[0][3] / rows[0][0]
    first_peak = rows[0][4]
    print(f"{'records':>8} {'ledger':>9} {'wall':>8} {'CPU':>8} {'CPU/record':>11} "
          f"{'vs first':>8} {'peak RSS':>9} {'vs first':>8}")  # fmt: skip
    for size, ledger_bytes, wall, cpu, peak in rows:
        per_record = cpu / size
        print(
            f"{size:>8} {ledger_bytes / 2**20:>7.1f}MB {wall:>7.1f}s {cpu:>7.1f}s "
            f"{per_record * 1e6:>9.0f}us {per_record / first_cpu_per_record:>7.2f}x "
            f"{peak / 1024:>7.1f}MB {peak / first_peak:>7.2f}x"
        )


if __name__ == "__main__":
    main()
