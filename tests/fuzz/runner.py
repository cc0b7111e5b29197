"""Run a target over inputs and report what escaped it.

`smoke` is deterministic (a fixed random seed, the seeds and a fixed number of mutations of
them): the test suite runs it. `python -m tests.fuzz` runs coverage-guided campaigns with
atheris (libFuzzer) on the same targets and mutators.
"""

from __future__ import annotations

import hashlib
import random
import traceback
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import ProvenanceError
from tests.fuzz.mutate import mutate
from tests.fuzz.targets import Target

__all__ = ["Crash", "check_one", "smoke"]


@dataclass(frozen=True)
class Crash:
    target: str
    data: bytes
    error: str  # "TypeError: ..."
    where: str  # the innermost frame of the traceback

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.target}-{hashlib.sha256(self.data).hexdigest()[:16]}"
        path.write_bytes(self.data)
        return path


def check_one(target: Target, data: bytes) -> Crash | None:
    """Run `target` on `data`; the crash if something outside the expected errors escaped."""
    try:
        target.run(data)
    except ProvenanceError:
        return None
    except target.expected:
        return None
    except Exception as exc:  # noqa: BLE001 - any other exception is exactly what we look for
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
        return Crash(target.name, data, f"{type(exc).__name__}: {exc}"[:300], where)
    return None


def smoke(target: Target, *, mutations: int, seed: int = 0) -> list[Crash]:
    """Every seed, then `mutations` mutated inputs; the crashes found (first of each kind)."""
    seeds = target.seeds()
    rng = random.Random(f"{target.name}:{seed}")
    crashes: dict[tuple[str, str], Crash] = {}
    inputs = iter(seeds)
    for number in range(len(seeds) + mutations):
        if number < len(seeds):
            data = next(inputs)
        else:
            data = mutate(rng.choice(seeds), target.shape, rng, seeds)
        crash = check_one(target, data)
        if crash is not None:
            crashes.setdefault((crash.error.split(":")[0], crash.where), crash)
    return list(crashes.values())
