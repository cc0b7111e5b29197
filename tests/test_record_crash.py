"""Crash safety and concurrency of admissions, with real processes.

The crash test runs an admitting command and kills it with SIGKILL at random moments (seeded),
then checks that the state directory is consistent: every admission has its store file, its VSA
and its "admit" audit record, and the signed audit chain verifies. Leftover files from the
interrupted runs are orphans, which are allowed.

The command is `ADMIT_COMMAND(state_dir, run)`; it is the record layer's own admit loop for
now. To run these tests against the real CLI, replace that one line with a function returning
a `provenance admit ARTIFACT ... --state-dir STATE_DIR` command line for run number `run`
(and tune `KILL_AFTER_SECONDS` to the command's running time, so most runs are killed).
"""

from __future__ import annotations

import itertools
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from provenance.record import (
    Ledger,
    StateDir,
    check_consistency,
    clean_orphans,
)
from provenance.verification.signers import PublicKeySigner, key_id_of
from tests.record_helpers import admit_loop, open_at

HELPER = Path(admit_loop.__file__)


def helper_admit_command(state_dir: Path, run: int) -> list[str]:
    """Admit (and deny) a few dozen artifacts, the way `provenance admit` does each."""
    return [sys.executable, str(HELPER), "--state-dir", str(state_dir), "--seed", str(run)]


ADMIT_COMMAND: Callable[[Path, int], list[str]] = helper_admit_command

CRASH_SEED = 20260302
KILL_ROUNDS = 16
PROCESSES_PER_ROUND = 2  # two at once: kills also land while one waits for the other's lock
KILL_AFTER_SECONDS = (0.05, 0.9)  # start-up, staging, transaction and commit all get hit
REAP_TIMEOUT_SECONDS = 30
NEW_LEDGER_ROUNDS = 6
NEW_LEDGER_PROCESSES = 4
NEW_LEDGER_START_DELAY_SECONDS = 0.4  # longer than a Python start-up, so all are waiting


def site_public_key() -> list[PublicKeySigner]:
    public = admit_loop.site_key().public
    return [PublicKeySigner(key=public, source="site", key_id=key_id_of(public))]


def test_kill_9_at_random_moments_leaves_a_consistent_state(tmp_path: Path) -> None:
    rng = random.Random(CRASH_SEED)
    state_dir = tmp_path / "state"
    outcomes: Counter[str] = Counter()
    started = time.monotonic()
    for round_number in range(KILL_ROUNDS):
        processes = [
            subprocess.Popen(
                ADMIT_COMMAND(state_dir, round_number * PROCESSES_PER_ROUND + index),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for index in range(PROCESSES_PER_ROUND)
        ]
        time.sleep(rng.uniform(*KILL_AFTER_SECONDS))
        for process in processes:
            process.send_signal(signal.SIGKILL)
        for process in processes:
            out, err = process.communicate(timeout=REAP_TIMEOUT_SECONDS)
            outcomes["completed admissions or denials"] += len(out.splitlines())
            if process.returncode == -signal.SIGKILL:
                outcomes["killed"] += 1
            else:
                assert process.returncode == 0, f"run failed by itself: {err}"
                outcomes["finished before the kill"] += 1
    elapsed = time.monotonic() - started
    # Timing varies with machine load; what matters is that many runs died mid-way.
    assert outcomes["killed"] >= KILL_ROUNDS // 2, outcomes
    assert outcomes["completed admissions or denials"] > 0, outcomes

    # What `check` and `audit verify` do after the crash: open read-only, verify everything.
    state = StateDir.open(state_dir, create=False)
    with Ledger.open(state.ledger_path, create=False) as ledger:
        report = check_consistency(state, ledger, site_keys=site_public_key())
    assert report.problems == (), "\n".join(report.problems)
    assert report.admission_count > 0
    assert report.audit.signed_count == report.audit.record_count

    # The gate still works after all that: clean up, admit more, still consistent.
    writable = StateDir.open(state_dir, create=True)
    with Ledger.open(writable.ledger_path, create=True) as ledger:
        clean_orphans(writable, ledger, min_age=timedelta(0))
    finished = subprocess.run(
        ADMIT_COMMAND(state_dir, KILL_ROUNDS * PROCESSES_PER_ROUND),
        capture_output=True,
        text=True,
        timeout=REAP_TIMEOUT_SECONDS,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    with Ledger.open(writable.ledger_path, create=False) as ledger:
        after = check_consistency(writable, ledger, site_keys=site_public_key())
    assert (after.problems, after.orphans) == ((), ())
    assert after.audit.record_count > report.audit.record_count
    orphans = Counter(path.relative_to(state_dir).parts[0] for path in report.orphans)
    print(
        f"crash test: {dict(outcomes)}, {report.admission_count} admissions, orphans "
        f"{dict(orphans)}, {elapsed:.1f} s"
    )


def test_two_processes_admitting_at_once_take_turns(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    processes = [
        subprocess.Popen(
            ADMIT_COMMAND(state_dir, run),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for run in (1, 2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    state = StateDir.open(state_dir, create=False)
    with Ledger.open(state.ledger_path, create=False) as ledger:
        records = list(ledger.audit_records())
        report = check_consistency(state, ledger, site_keys=site_public_key())
    assert report.audit.ok, report.audit.problems
    assert len(records) >= 2
    assert [record.seq for record in records] == list(range(1, len(records) + 1))
    assert (report.problems, report.orphans) == ((), ())
    if ADMIT_COMMAND is helper_admit_command:
        assert len(records) == sum(len(out.splitlines()) for out, _ in outputs)
        assert report.admission_count == sum(out.count("admitted") for out, _ in outputs)
        writers = [record.event().details["pid"] for record in records]
        assert set(writers) == {process.pid for process in processes}, "both processes wrote"
        switches = sum(1 for a, b in itertools.pairwise(writers) if a != b)
        print(f"concurrency: {len(records)} records, writers alternated {switches} times")


def test_processes_creating_a_new_ledger_at_the_same_moment_all_succeed(tmp_path: Path) -> None:
    # Found by the concurrency test: a second process saw a half-made schema, or was refused
    # the switch to WAL mode without waiting. Both start-up races are handled now.
    for round_number in range(NEW_LEDGER_ROUNDS):
        start = time.time() + NEW_LEDGER_START_DELAY_SECONDS
        state_dir = tmp_path / f"state-{round_number}"
        processes = [
            subprocess.Popen(
                [sys.executable, open_at.__file__, str(state_dir), repr(start)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(NEW_LEDGER_PROCESSES)
        ]
        for process in processes:
            _, err = process.communicate(timeout=REAP_TIMEOUT_SECONDS)
            assert process.returncode == 0, err
        with Ledger.open(state_dir / "ledger.sqlite3", create=False) as ledger:
            assert list(ledger.audit_records()) == []
