"""Admits per second: 1, 4 and 8 concurrent gate processes on one PostgreSQL ledger, against
one process on the embedded SQLite ledger.

Each gate process is `tests/record_helpers/gate_loop.py`: a loop over the library's `admit`
(what `provenance admit` calls, minus interpreter start-up), each admission a new artifact
admitted with its published SHA-256 to the northwind fixture policy's `test-bench` segment,
signed by the process's own site key (so the cost measured is the gate's record keeping: the
staged copy, the decision, the VSA, the store, the ledger transaction). All processes share
one state directory. PostgreSQL runs in a throwaway cluster on this machine with its default
durability (fsync, synchronous_commit on), as SQLite runs with synchronous=FULL.

    python -m benchmarks --only ledger                # in the performance table
    python -m benchmarks.ledger_admits [--per-process 50]
    python -m benchmarks.ledger_admits --load-test     # the suite's load test at full size:
                                                       # 8 processes x 100 admissions

Wall time from the common start to the last process's end. In `python -m benchmarks`: two
rounds (SQLite, then PostgreSQL with 1, 4 and 8 processes, then again) of 20 admissions per
process; the reference is the one process on SQLite.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.harness import Context, Row, ratio_text  # noqa: E402
from provenance.signing.keys import generate_key  # noqa: E402
from tests import pg_cluster  # noqa: E402

START_DELAY_SECONDS = 4.0  # every process has imported provenance by then


def run(work: Path, *, processes: int, per_process: int, ledger: str | None, name: str) -> float:
    """Seconds from the common start until every process has finished."""
    state = work / f"state-{name}"
    keys = []
    for host in range(processes):
        key = work / f"{name}-host-{host}.key"
        generate_key(key, "ed25519")
        keys.append(key)
    start_at = time.time() + START_DELAY_SECONDS
    extra = ["--ledger", ledger] if ledger else []
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.record_helpers.gate_loop",
                "--state-dir",
                str(state),
                "--site-key",
                str(keys[host]),
                "--count",
                str(per_process),
                "--name",
                f"{name}{host}",
                "--start-at",
                str(start_at),
                *extra,
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
        for host in range(processes)
    ]
    for child in children:
        if child.wait() != 0:
            raise SystemExit(f"a gate process failed ({name})")
    return time.time() - start_at


def _database(server: str, name: str) -> str:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    head, _, query = server.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}?{query}"


ROUNDS, PER_PROCESS, GATES = 2, 20, (1, 4, 8)


def benchmark(context: Context) -> list[Row]:
    if pg_cluster.find_binaries() is None:
        return [Row("ledger admits: no PostgreSQL server binaries (skipped)", "", "", "", "", None)]
    # Its own folder, readable by all: the cluster runs as `postgres` when this runs as root.
    work = Path(tempfile.mkdtemp(prefix="provenance-bench-"))
    work.chmod(0o755)
    server = pg_cluster.start(work / "cluster", durable=True)
    rates: dict[int, list[float]] = {gates: [] for gates in (0, *GATES)}  # 0: SQLite
    try:
        for number in range(ROUNDS):
            name = f"sqlite{number}"
            seconds = run(work, processes=1, per_process=PER_PROCESS, ledger=None, name=name)
            rates[0].append(PER_PROCESS / seconds)
            for gates in GATES:
                name = f"pg{gates}r{number}"
                uri = _database(server, name)
                seconds = run(work, processes=gates, per_process=PER_PROCESS, ledger=uri, name=name)
                rates[gates].append(gates * PER_PROCESS / seconds)
    finally:
        pg_cluster.stop(work / "cluster")
        shutil.rmtree(work, ignore_errors=True)
    rows = [
        Row(
            f"`admit` loop, 1 gate process on SQLite (the state directory), {PER_PROCESS} "
            f"admissions, {ROUNDS} rounds: admits per second",
            f"{min(rates[0]):.1f} / {statistics.median(rates[0]):.1f}",
            "",
            "",
            "",
            None,
        )
    ]
    for gates in GATES:
        ratios = [a / b for a, b in zip(rates[gates], rates[0], strict=True)]
        rows.append(
            Row(
                f"`admit` loops, {gates} gate process{'es' if gates > 1 else ''} on one "
                f"PostgreSQL ledger, {gates * PER_PROCESS} admissions: admits per second; "
                "reference: 1 process on SQLite",
                f"{min(rates[gates]):.1f} / {statistics.median(rates[gates]):.1f}",
                f"{min(rates[0]):.1f} / {statistics.median(rates[0]):.1f}",
                ratio_text(ratios),
                "",
                None,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-process", type=int, default=50)
    parser.add_argument("--load-test", action="store_true")
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="provenance-bench-"))
    work.chmod(0o755)
    server = pg_cluster.start(work / "cluster", durable=True)
    try:
        if arguments.load_test:
            seconds = run(work, processes=8, per_process=100,
                          ledger=_database(server, "load"), name="load")  # fmt: skip
            print(f"8 processes x 100 admissions on PostgreSQL: {seconds:.1f} s "
                  f"({800 / seconds:.1f} admits/s)")  # fmt: skip
            return
        per = arguments.per_process
        print("| ledger | gate processes | admissions | wall time | admits/s |")
        print("|---|---|---|---|---|")
        seconds = run(work, processes=1, per_process=per, ledger=None, name="sqlite")
        print(f"| SQLite (state directory) | 1 | {per} | {seconds:.1f} s | {per / seconds:.1f} |")
        for processes in (1, 4, 8):
            total = processes * per
            uri = _database(server, f"bench{processes}")
            seconds = run(work, processes=processes, per_process=per, ledger=uri,
                          name=f"pg{processes}")  # fmt: skip
            print(f"| PostgreSQL | {processes} | {total} | {seconds:.1f} s | "
                  f"{total / seconds:.1f} |")  # fmt: skip
    finally:
        pg_cluster.stop(work / "cluster")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
