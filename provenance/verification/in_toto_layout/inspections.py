"""Running inspections: only ever when the caller asks, with no shell and a timeout.

An inspection's command comes from the layout, which the layout keys vouch for; still, running
it executes vendor-chosen code on the gate, so `verify_layout` never does it by default. When
asked, each command runs as an argument vector (no shell), stdin closed and output discarded,
in the working directory the caller gives (a private copy of the delivery), with an empty
environment (the gate's secrets, such as a CI job's GITHUB_TOKEN, stay with the gate; a bare
command name is looked up in the system's default path, /bin:/usr/bin), under a timeout. It
still runs as the gate's user: it can read what that user can read by absolute path, so
inspections are for a gate that runs in a throwaway job or sandbox. Like in-toto, the
inspection's materials and products are every regular file under that directory before and
after the run (SHA-256); unlike in-toto, symbolic links are not followed or recorded, so a rule
cannot be satisfied through a link.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

from provenance.errors import InputError
from provenance.evidence.in_toto_metadata import Inspection, Link

__all__ = [
    "DEFAULT_INSPECTION_TIMEOUT",
    "INSPECTION_ENVIRONMENT",
    "MAX_INSPECTION_FILES",
    "InspectionFailed",
    "run",
]

DEFAULT_INSPECTION_TIMEOUT = 60.0  # seconds
# Nothing of the caller's environment: no tokens, no proxies, no PATH of its choosing.
INSPECTION_ENVIRONMENT: dict[str, str] = {}
# A delivery directory with more files than this is not what an inspection should walk.
MAX_INSPECTION_FILES = 100_000


class InspectionFailed(Exception):
    """The inspection's command could not run, timed out, or exited non-zero."""


def record_artifacts(directory: Path) -> dict[str, dict[str, str]]:
    """Every regular file under `directory` (relative POSIX path -> {"sha256": hex})."""
    artifacts: dict[str, dict[str, str]] = {}
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            try:
                info = path.lstat()
                if not stat.S_ISREG(info.st_mode):
                    continue
                with path.open("rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
            except OSError as exc:
                raise InputError(f"{path}: cannot read for inspection: {exc.strerror}") from exc
            if len(artifacts) >= MAX_INSPECTION_FILES:
                raise InputError(
                    f"{directory}: more than {MAX_INSPECTION_FILES} files; not an inspection "
                    "working directory"
                )
            artifacts[path.relative_to(directory).as_posix()] = {"sha256": digest}
    return artifacts


def run(inspection: Inspection, working_dir: Path, timeout: float) -> Link:
    """Run one inspection and return the link it records; raise `InspectionFailed`."""
    materials = record_artifacts(working_dir)
    command = list(inspection.run)
    try:
        completed = subprocess.run(  # noqa: S603 - explicit opt-in; argv, never a shell
            command,
            cwd=working_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
            shell=False,
            env=INSPECTION_ENVIRONMENT,
        )
    except subprocess.TimeoutExpired as exc:
        raise InspectionFailed(f"command {command} timed out after {timeout:g} s") from exc
    except OSError as exc:
        raise InspectionFailed(f"command {command} could not run: {exc.strerror or exc}") from exc
    if completed.returncode != 0:
        raise InspectionFailed(f"command {command} exited with {completed.returncode}, expected 0")
    return Link(
        name=inspection.name,
        command=inspection.run,
        materials=materials,
        products=record_artifacts(working_dir),
        byproducts={"return-value": completed.returncode},
        environment={},
    )
