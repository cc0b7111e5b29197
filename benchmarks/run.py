"""Run every benchmark, each against its reference in the same run, and print the README's
performance table in Markdown (the figures the README shows are pasted from this output).

    python -m benchmarks [--only NAME ...] [--runs N] [--audit-sizes 1000 10000 [100000]]

Progress goes to stderr; the table to stdout. Targets are judged on CPU time: the machine is
shared, and wall time includes waiting for other work (wall is shown beside). Every
whole-process figure is measured with a private bytecode cache (`PYTHONPYCACHEPREFIX` in a
scratch folder, bytecode writing on) for both sides, warmed by an uncounted first run, so
neither side pays compilation. Cells are "min / median"; a ratio is the median of the
pair-by-pair ratios of alternating runs, with their range. About 5 minutes on the 2-core
development machine when it is quiet, 11 when other work keeps both cores busy; adding
`--audit-sizes 1000 10000 100000` adds 5 to 10 minutes.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    attestations_vs_sigstore_dsse,
    audit_verify_scaling,
    check_vs_openssl,
    ledger_admits,
    sbom_check_vs_cyclonedx,
    verify_vs_sigstore,
    vet_vs_sigstore_loop,
    vulndb_import_and_match,
)
from benchmarks.harness import HEADER, Context, Row, machine

REPO = Path(__file__).resolve().parents[1]
Benchmark = Callable[[Context], list[Row]]


def _benchmarks(audit_sizes: Sequence[int]) -> dict[str, Benchmark]:
    return {
        "verify": verify_vs_sigstore.benchmark,
        "attestations": attestations_vs_sigstore_dsse.benchmark,
        "vet": vet_vs_sigstore_loop.benchmark,
        "check": check_vs_openssl.benchmark,
        "sbom": sbom_check_vs_cyclonedx.benchmark,
        "vulnerabilities": vulndb_import_and_match.benchmark,
        "audit": lambda context: audit_verify_scaling.benchmark(context, audit_sizes),
        "ledger": ledger_admits.benchmark,
    }


def _commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def _versions() -> str:
    found = []
    for name in ("ot-provenance", "sigstore", "cyclonedx-python-lib"):
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True, check=False)
    found.append(openssl.stdout.strip() or "openssl (not found)")
    return ", ".join(found)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument(
        "--runs", type=int, default=7, help="alternating runs of each side (slow ones: fewer)"
    )
    parser.add_argument("--audit-sizes", type=int, nargs="+", default=[1000, 10_000], metavar="N")
    args = parser.parse_args(argv)
    benchmarks = _benchmarks(args.audit_sizes)
    chosen = args.only or list(benchmarks)
    unknown = [name for name in chosen if name not in benchmarks]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; expected {', '.join(benchmarks)}")
    started = time.perf_counter()
    when = datetime.now(UTC)
    load_before = machine()["load"]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="provenance-benchmarks-") as scratch:
        context = Context.create(Path(scratch), args.runs)
        for name in chosen:
            print(f"{name} ...", file=sys.stderr, flush=True)
            began = time.perf_counter()
            rows += benchmarks[name](context)
            print(f"{name}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    about = machine()
    elapsed = time.perf_counter() - started
    missed = [row.benchmark for row in rows if row.met is False]
    print(
        f"Measured {when:%Y-%m-%d %H:%M} UTC on {about['cpu']}, Python {about['python']} "
        f"(load average {load_before} before, {about['load']} after); {_versions()}; "
        f"commit {_commit()}. Bytecode cached for both sides (a private PYTHONPYCACHEPREFIX, "
        f"warmed by an uncounted run). Targets are judged on CPU (wall includes waiting for "
        f"other work on this shared machine). `python -m benchmarks`: {elapsed / 60:.1f} minutes."
    )
    print()
    print("\n".join(HEADER))
    for row in rows:
        print(row.markdown())
    print()
    targets = sum(row.met is not None for row in rows)
    print(
        f"Targets met: {targets - len(missed)} of {targets}."
        + ("" if not missed else " Not met: " + "; ".join(missed) + ".")
    )
