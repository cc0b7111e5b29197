"""Fuzzing campaigns: `python -m tests.fuzz [campaign|run|smoke] ...` from the checkout root.

    pip install -e '.[test,fuzz]'
    python -m tests.fuzz campaign --seconds 600 --crashes fuzz-crashes   # every target
    python -m tests.fuzz campaign --seconds 60 bundle cms                 # some targets
    python -m tests.fuzz smoke --mutations 2000                           # the suite's run

`campaign` runs each target in its own process under atheris (coverage-guided libFuzzer)
with the structure-aware mutators, for the given time, and keeps every crashing input in the
crash folder (`<target>-<digest>`); it prints executions and crashes per target. `run` is
one such process. `smoke` is the deterministic run of the test suite, without atheris.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import time
from pathlib import Path

__all__: list[str] = []


def _campaign(args: argparse.Namespace) -> int:
    from tests.fuzz.targets import TARGETS

    names = args.targets or list(TARGETS)
    crashes = Path(args.crashes).resolve()
    crashes.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name in names:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "tests.fuzz", "run", name, "--seconds", str(args.seconds),
             "--crashes", str(crashes)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        runs = re.findall(r"stat::number_of_executed_units: (\d+)", done.stderr)
        found = sorted(crashes.glob(f"crash-{name}-*"))
        failed += bool(found) or done.returncode not in (0,)
        print(
            f"{name:20} {int(runs[-1]) if runs else 0:>10} executions "
            f"{time.monotonic() - started:7.0f} s  exit {done.returncode}  crashes {len(found)}",
            flush=True,
        )
        if done.returncode != 0:
            print("\n".join(done.stderr.splitlines()[-15:]), flush=True)
    return 1 if failed else 0


def _run(args: argparse.Namespace) -> int:
    import atheris

    with atheris.instrument_imports():
        from tests.fuzz.mutate import mutate
        from tests.fuzz.runner import check_one
        from tests.fuzz.targets import TARGETS

    target = TARGETS[args.target]
    seeds = target.seeds()
    corpus = Path(args.crashes) / f"corpus-{target.name}"
    corpus.mkdir(parents=True, exist_ok=True)
    for number, seed in enumerate(seeds):
        (corpus / f"seed-{number}").write_bytes(seed)

    def one_input(data: bytes) -> None:
        crash = check_one(target, data)
        if crash is not None:
            raise RuntimeError(f"{crash.error} at {crash.where}")

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.5:
            return bytes(atheris.Mutate(data, max_size))
        return mutate(data, target.shape, rng, seeds)[:max_size]

    atheris.Setup(
        [
            sys.argv[0],
            f"-max_total_time={args.seconds}",
            f"-artifact_prefix={Path(args.crashes) / f'crash-{target.name}-'}",
            "-print_final_stats=1",
            "-rss_limit_mb=4096",
            "-timeout=10",
            str(corpus),
        ],
        one_input,
        custom_mutator=custom_mutator,
    )
    atheris.Fuzz()
    return 0


def _smoke(args: argparse.Namespace) -> int:
    from tests.fuzz.runner import smoke
    from tests.fuzz.targets import TARGETS

    failed = 0
    for name in args.targets or list(TARGETS):
        started = time.monotonic()
        found = smoke(TARGETS[name], mutations=args.mutations, seed=args.seed)
        print(f"{name:20} {time.monotonic() - started:6.1f} s  crashes {len(found)}")
        for crash in found:
            print(f"  {crash.error} at {crash.where} -> {crash.save(Path(args.crashes))}")
        failed += bool(found)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    commands = parser.add_subparsers(dest="command", required=True)
    campaign = commands.add_parser("campaign", help="every (or the named) target, one by one")
    campaign.add_argument("targets", nargs="*")
    campaign.add_argument("--seconds", type=int, default=600)
    campaign.add_argument("--crashes", default="fuzz-crashes")
    run = commands.add_parser("run", help="one target under atheris")
    run.add_argument("target")
    run.add_argument("--seconds", type=int, default=600)
    run.add_argument("--crashes", default="fuzz-crashes")
    smoke = commands.add_parser("smoke", help="the deterministic run, without atheris")
    smoke.add_argument("targets", nargs="*")
    smoke.add_argument("--mutations", type=int, default=2000)
    smoke.add_argument("--seed", type=int, default=0)
    smoke.add_argument("--crashes", default="fuzz-crashes")
    args = parser.parse_args()
    handlers = {"campaign": _campaign, "run": _run, "smoke": _smoke}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
