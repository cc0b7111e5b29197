"""Time `provenance check FILE` against `sha256sum FILE` on the same large file, in one run.

    python benchmarks/check_vs_sha256sum.py [--size-mib 1024] [--runs 5]

The pre-install check hashes the file, looks the digest up in the ledger and verifies the
admission against its signed audit record and the log's signed checkpoint; hashing should
dominate, start-up should not. Target: ratio (provenance / sha256sum) <= 1.3 on a 1 GiB file.
The file is admitted first, so the check answers "admitted" (the lookup is real).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLOCK = 1024 * 1024


def _tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        sys.exit(f"{name}: not installed")
    return found


def _write_file(path: Path, size_mib: int) -> None:
    block = os.urandom(BLOCK)
    with path.open("wb") as handle:
        for index in range(size_mib):
            handle.write(block[:-8] + index.to_bytes(8, "big"))


def _time(command: list[str], expect: int) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != expect:
        sys.exit(f"{command[:2]} exited {done.returncode}: {done.stderr.decode()[-300:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    provenance, sha256sum = _tool("provenance"), _tool("sha256sum")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        artifact = folder / "engineering-suite.iso"
        _write_file(artifact, args.size_mib)
        state = folder / "state"
        # Record an admission directly: the benchmark measures the check, not the admit.
        probe = (
            "import sys, hashlib\n"
            "from datetime import datetime, UTC\n"
            "from pathlib import Path\n"
            "from provenance.record import *\n"
            "from provenance.record.audit_event import AuditEvent, PolicyRef\n"
            "from provenance.signing.keys import generate_key\n"
            "state = StateDir.open(Path(sys.argv[1]), create=True)\n"
            "key = generate_key(state.root / 'site.key', 'ed25519')\n"
            "staged = ContentStore(state).stage_copy(Path(sys.argv[2]))\n"
            "now = datetime.now(UTC)\n"
            "event = AuditEvent(kind='admit', at=now, artifact_name='suite', "
            "artifact_sha256=staged.sha256_hex, segment='engineering-workstations', "
            "policy=PolicyRef(path='bench', sha256='0'*64))\n"
            "with Ledger.open(state.ledger_path, create=True) as ledger:\n"
            "    with ledger.transaction() as tx:\n"
            "        record_admit(tx, state, staged, event=event, make_vsa=None, evidence={},\n"
            "                     signer=key)\n"
        )
        subprocess.run([sys.executable, "-c", probe, state, artifact], check=True)
        ours = [provenance, "check", str(artifact), "--segment", "engineering-workstations",
                "--state-dir", str(state)]  # fmt: skip
        theirs = [sha256sum, str(artifact)]
        _time(theirs, 0)  # warm the page cache for both
        ours_times, theirs_times = [], []
        for _ in range(args.runs):  # alternate, so drift hits both alike
            ours_times.append(_time(ours, 0))
            theirs_times.append(_time(theirs, 0))
    ours_median, theirs_median = statistics.median(ours_times), statistics.median(theirs_times)
    print(f"{'file':<12} {'provenance check':>17} {'sha256sum':>10} {'ratio':>6}")
    print(
        f"{args.size_mib:>7} MiB {ours_median:>16.2f}s {theirs_median:>9.2f}s "
        f"{ours_median / theirs_median:>6.2f}"
    )


if __name__ == "__main__":
    main()
