"""The workstation check: `provenance check` against `openssl dgst -sha256` on the same large
file, and the check from a VSA against the check from the ledger on the same small file.

1. A 1 GiB file, admitted (its admission recorded and signed as the gate records it): the
   check hashes the file, finds the admission and verifies its signed record and the log's
   signed checkpoint. Hashing must dominate, not start-up: target <= 1.3x the time of
   `openssl dgst -sha256` (OpenSSL's SHA-256, as hashlib's) on the same file, page cache warm.
2. The sample delivery's firmware, admitted by `provenance admit`: `check --vsa` (the VSA, its
   DSSE signature and its inclusion proof) against the ledger check. Neither loads Sigstore,
   the policy loader, SBOM or vulnerability modules (`tests/test_import_budgets.py`): target
   <= 1.3.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.harness import Context, Row, alternate, ratio_text, run_process, tool
from provenance.commands.admit import admit
from provenance.signing.keys import generate_key

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "fixtures/acme-delivery"
BLOCK = 1024 * 1024
SIZE_MIB = 1024
SEGMENT = "engineering-workstations"
TARGET = 1.3

# Records an admission as the gate does (signed record, signed checkpoint), without
# verifying evidence for a 1 GiB file: what is measured is the check.
_RECORD = """\
import sys
from datetime import datetime, UTC
from pathlib import Path
from provenance.record import *
from provenance.record.audit_event import AuditEvent, PolicyRef
from provenance.signing.keys import generate_key
state = StateDir.open(Path(sys.argv[1]), create=True)
key = generate_key(state.root / 'site.key', 'ed25519')
staged = ContentStore(state).stage_copy(Path(sys.argv[2]))
event = AuditEvent(kind='admit', at=datetime.now(UTC), artifact_name='suite',
                   artifact_sha256=staged.sha256_hex, segment=sys.argv[3],
                   policy=PolicyRef(path='bench', sha256='0' * 64))
with Ledger.open(state.ledger_path, create=True) as ledger:
    with ledger.transaction() as tx:
        record_admit(tx, state, staged, event=event, make_vsa=None, evidence={}, signer=key)
"""


def _write_file(path: Path, size_mib: int) -> None:
    block = os.urandom(BLOCK)
    with path.open("wb") as handle:
        for index in range(size_mib):
            handle.write(block[:-8] + index.to_bytes(8, "big"))


def benchmark(context: Context) -> list[Row]:
    return _large_file(context) + _vsa_against_ledger(context)


def _large_file(context: Context) -> list[Row]:
    folder = context.folder("check")
    artifact = folder / "engineering-suite.iso"
    _write_file(artifact, SIZE_MIB)
    state = folder / "state"
    subprocess.run(
        [sys.executable, "-c", _RECORD, str(state), str(artifact), SEGMENT],
        check=True,
        env=context.environment,
    )
    ours = [tool("provenance"), "check", str(artifact), "--segment", SEGMENT,
            "--state-dir", str(state)]  # fmt: skip
    theirs = ["openssl", "dgst", "-sha256", str(artifact)]
    pairs = alternate(
        lambda: run_process(ours, context),
        lambda: run_process(theirs, context),
        max(3, context.runs // 2),
    )
    rows = []
    for measure, (mine, reference, ratios) in (("CPU", pairs.cpu()), ("wall", pairs.wall())):
        judged = measure == "CPU"
        rows.append(
            Row(
                f"`check` of a 1 GiB admitted file / `openssl dgst -sha256`, {measure}",
                mine.seconds(),
                reference.seconds(),
                ratio_text(ratios),
                f"<= {TARGET}" if judged else "",
                statistics.median(ratios) <= TARGET if judged else None,
            )
        )
    artifact.unlink()
    shutil.rmtree(state)
    return rows


def _vsa_against_ledger(context: Context) -> list[Row]:
    folder = context.folder("check-vsa")
    delivery = folder / "delivery"
    shutil.copytree(FIXTURE, delivery)
    state = folder / "state"
    state.mkdir()
    generate_key(state / "site.key", "ed25519")
    artifact = delivery / "plc-firmware-4.2.1.bin"
    segment = "level1-controllers"
    result = admit(artifact, policy_path=delivery / "policy.yaml", segment=segment, state_dir=state)
    if not result.allowed or result.admission is None or result.admission.vsa_path is None:
        sys.exit(f"the sample firmware was not admitted: {result}")
    vsa = state / result.admission.vsa_path
    common = [tool("provenance"), "check", str(artifact), "--segment", segment]
    by_vsa = [*common, "--vsa", str(vsa), "--site-key", str(state / "site.key.pub")]
    by_ledger = [*common, "--state-dir", str(state)]
    pairs = alternate(
        lambda: run_process(by_vsa, context), lambda: run_process(by_ledger, context), context.runs
    )
    rows = []
    for measure, (mine, reference, ratios) in (("CPU", pairs.cpu()), ("wall", pairs.wall())):
        judged = measure == "CPU"
        rows.append(
            Row(
                f"`check --vsa` / ledger `check`, the sample firmware (admitted), {measure}",
                mine.seconds(),
                reference.seconds(),
                ratio_text(ratios),
                f"<= {TARGET}" if judged else "",
                statistics.median(ratios) <= TARGET if judged else None,
            )
        )
    return rows
