"""What every benchmark shares: timing whole processes (CPU from the kernel's accounting, wall
from a monotonic clock), alternating a command with its reference, and the rows of the table.

Both sides of a comparison run with the same environment: a private bytecode cache
(`PYTHONPYCACHEPREFIX`, filled by an uncounted warm-up run of each) and bytecode writing on,
so neither pays compilation and neither gains from a cache the other lacks.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "HEADER",
    "Context",
    "Pairs",
    "Row",
    "Sample",
    "Stat",
    "alternate",
    "machine",
    "ratio_text",
    "run_process",
    "seconds",
    "tool",
]


@dataclass(frozen=True)
class Sample:
    """One finished process: wall seconds, CPU seconds (user + system, its waited-for
    children included: vet's workers), peak resident memory in bytes."""

    wall: float
    cpu: float
    rss: int


@dataclass(frozen=True)
class Stat:
    """Minimum and median of a series (the minimum: the least disturbed run)."""

    low: float
    median: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        return cls(min(values), statistics.median(values))

    def seconds(self) -> str:
        return f"{_seconds(self.low)} / {_seconds(self.median)}"

    def scaled(self, factor: float) -> Stat:
        return Stat(self.low * factor, self.median * factor)


def _seconds(value: float) -> str:
    if value >= 10:
        return f"{value:.1f} s"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.001:
        return f"{value * 1000:.0f} ms" if value >= 0.1 else f"{value * 1000:.1f} ms"
    return f"{value * 1e6:.0f} us"


def seconds(value: float) -> str:
    """A duration as the table writes it."""
    return _seconds(value)


@dataclass(frozen=True)
class Row:
    """One line of the performance table."""

    benchmark: str
    ours: str
    reference: str
    ratio: str
    target: str
    met: bool | None  # None: a figure without a target

    def markdown(self) -> str:
        verdict = "" if self.met is None else ("yes" if self.met else "**no**")
        cells = (self.benchmark, self.ours, self.reference, self.ratio, self.target, verdict)
        return "| " + " | ".join(cells) + " |"


HEADER = (
    "| benchmark | provenance (min / median) | reference (min / median) | ratio | target | met |",
    "|---|---|---|---|---|---|",
)


def ratio_text(ratios: Sequence[float], digits: int = 2, unit: str = "") -> str:
    """Median of pair-by-pair ratios, with their range when there are several."""
    median = f"{statistics.median(ratios):.{digits}f}{unit}"
    if len(ratios) == 1:
        return median
    return f"{median} ({min(ratios):.{digits}f}-{max(ratios):.{digits}f})"


@dataclass
class Context:
    """The run: a scratch folder, the environment both sides of every comparison get, and
    how many alternating runs to make (`runs`; smaller for the slow benchmarks)."""

    scratch: Path
    runs: int = 7
    environment: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, scratch: Path, runs: int) -> Context:
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
        }
        cache = scratch / "pycache"
        cache.mkdir()
        environment["PYTHONPYCACHEPREFIX"] = str(cache)
        return cls(scratch=scratch, runs=runs, environment=environment)

    def folder(self, name: str) -> Path:
        path = self.scratch / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def tool(name: str) -> str:
    """A console script of this environment (beside the interpreter), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        sys.exit(f"{name}: not installed (pip install -e '.[bench]')")
    return found


# Starts the measured command from a small process and reports its CPU, wall time and peak
# memory: a child's peak RSS counts the memory of the process it was started from (Linux
# keeps the larger of the two across exec), and this harness may hold hundreds of MB.
_LAUNCHER = """\
import os, sys, time
result, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(result, "w") as handle:
    handle.write(f"{os.waitstatus_to_exitcode(status)} {wall} "
                 f"{usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}")
"""


def run_process(
    command: Sequence[str],
    context: Context,
    *,
    expect: int = 0,
    cwd: Path | None = None,
    check: Callable[[str], bool] | None = None,
    output: Path | None = None,
) -> Sample:
    """Run `command` to its end (its stdout to `output`, if given); its exit code must be
    `expect` (and its stderr pass `check`), or the benchmark stops: a figure of a failing
    command means nothing."""
    errors = context.scratch / "stderr.txt"
    result = context.scratch / "result.txt"
    with errors.open("wb") as stderr, (output or Path(os.devnull)).open("wb") as stdout:
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(result), *command],
            stdout=stdout,
            stderr=stderr,
            env=context.environment,
            cwd=cwd,
            check=True,
        )
    code, wall, cpu, rss = result.read_text().split()
    text = errors.read_text(errors="replace")
    if int(code) != expect or (check is not None and not check(text)):
        sys.exit(
            f"benchmark command failed (exit {code}, expected {expect}): "
            f"{' '.join(command)[:300]}\n{text[-1500:]}"
        )
    return Sample(float(wall), float(cpu), int(rss) * 1024)


@dataclass(frozen=True)
class Pairs:
    """Alternating runs of A (ours) and B (the reference)."""

    ours: list[Sample]
    theirs: list[Sample]

    def cpu(self) -> tuple[Stat, Stat, list[float]]:
        return self._of(lambda sample: sample.cpu)

    def wall(self) -> tuple[Stat, Stat, list[float]]:
        return self._of(lambda sample: sample.wall)

    def _of(self, value: Callable[[Sample], float]) -> tuple[Stat, Stat, list[float]]:
        ours = [value(sample) for sample in self.ours]
        theirs = [value(sample) for sample in self.theirs]
        ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
        return Stat.of(ours), Stat.of(theirs), ratios


def alternate(
    ours: Callable[[], Sample], theirs: Callable[[], Sample], runs: int, *, warmup: int = 1
) -> Pairs:
    """Warm-up runs of each (not counted: they fill the bytecode cache and the page cache),
    then A B A B ...: drift on a shared machine hits both alike, and each ratio is taken
    pair by pair."""
    for _ in range(warmup):
        ours()
        theirs()
    pairs = Pairs([], [])
    for _ in range(runs):
        pairs.ours.append(ours())
        pairs.theirs.append(theirs())
    return pairs


def machine() -> Mapping[str, str]:
    """What the figures were measured on."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 2**20:.0f} GiB"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "cpu": f"{model}, {os.cpu_count()} CPUs{memory}",
        "load": f"{load:.2f}",
        "python": sys.version.split()[0],
    }
