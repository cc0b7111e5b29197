"""kill -9 at random moments of many real `provenance admit` runs, then `audit verify`.

Each round starts two admits (allowed and denied ones, into two segments) and SIGKILLs them
after a random delay, so kills land in start-up, staging, verification and the transaction.
Afterwards every admission must be complete (store file, VSA, signed audit record), the audit
chain intact, and the gate must keep working. Seeded: a failure replays.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from provenance.record import Ledger, StateDir, check_consistency
from provenance.signing.keys import generate_key
from provenance.verification.signers import load_public_key
from tests.conftest import CliRunner

DELIVERY = Path(__file__).parents[1] / "fixtures/acme-delivery"
SEED = 20261129
ROUNDS = 24
# Kills land between half and 1.3 times one admit's duration, measured in the test itself:
# start-up, verification and the transaction all get hit however loaded the machine is.
KILL_AFTER = (0.5, 1.3)
RUNS = (
    ("plc-firmware-4.2.1.bin", "level3-operations"),
    ("plc-firmware-3.9.0.bin", "level3-operations"),
    ("plc-firmware-4.2.1.bin", "level1-controllers"),
)


def admit_command(delivery: Path, state: Path, run: int) -> list[str]:
    artifact, segment = RUNS[run % len(RUNS)]
    return [
        sys.executable, "-m", "provenance", "admit", str(delivery / artifact),
        "--policy", str(delivery / "policy.yaml"), "--segment", segment,
        "--state-dir", str(state),
    ]  # fmt: skip


def test_kill_9_during_admits_leaves_complete_admissions_or_none(
    cli: CliRunner, tmp_path: Path
) -> None:
    delivery = tmp_path / "delivery"
    shutil.copytree(DELIVERY, delivery)
    state = tmp_path / "state"
    state.mkdir()
    generate_key(state / "site.key", "ed25519")
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    started = time.monotonic()
    first = subprocess.run(
        admit_command(delivery, state, 0), capture_output=True, text=True, check=False
    )
    assert first.returncode == 0, first.stderr
    one_admit = time.monotonic() - started
    for round_number in range(ROUNDS):
        processes = [
            subprocess.Popen(
                admit_command(delivery, state, 2 * round_number + index),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for index in range(2)
        ]
        time.sleep(one_admit * rng.uniform(*KILL_AFTER))
        for process in processes:
            process.send_signal(signal.SIGKILL)
        for process in processes:
            _, err = process.communicate(timeout=60)
            if process.returncode == -signal.SIGKILL:
                outcomes["killed"] += 1
            else:
                assert process.returncode in (0, 1), err  # admitted or denied, never broken
                outcomes["admitted" if process.returncode == 0 else "denied"] += 1
    # Timing varies with machine load; what matters is that many runs died mid-way.
    assert outcomes["killed"] >= ROUNDS // 2, outcomes

    result = cli("audit", "verify", "--state-dir", state)
    assert result.code == 0, result.stdout + result.stderr
    assert "problem:" not in result.stdout
    assert result.stderr.startswith("OK: audit log intact: ")

    site_key = [load_public_key(state / "site.key.pub")]
    opened = StateDir.open(state, create=False)
    with Ledger.open(opened.ledger_path, create=False) as ledger:
        report = check_consistency(opened, ledger, site_keys=site_key)
    assert report.problems == ()
    assert report.audit.signed_count == report.audit.record_count

    # Still a working gate afterwards.
    final = subprocess.run(
        admit_command(delivery, state, 0), capture_output=True, text=True, check=False
    )
    assert final.returncode == 0, final.stderr
    print(f"gate crash test: {dict(outcomes)}, {report.admission_count} admissions, "
          f"{len(report.orphans)} orphans, {time.monotonic() - started:.1f} s")  # fmt: skip
