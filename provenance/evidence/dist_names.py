"""Python distribution file names (wheels, PEP 427; sdists, PEP 625), compared as PyPI means them.

A PEP 740 attestation names the file it is about. Two spellings of one file name are the same
file when their normalised parts agree: the project name (PEP 503), the version (PEP 440 normal
form), and for a wheel its build tag and its set of tags (so `py2.py3` equals `py3.py2`). A
different version spelling that PEP 440 merely orders equal (`1.0` and `1.0.0`) is a different
name, and so is another sdist extension: a renamed file is another file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion

from provenance.errors import EvidenceError

__all__ = ["DistributionName", "NotADistributionName", "parse_distribution_name"]

SDIST_SUFFIXES = (".tar.gz", ".zip")
# PyPI's own limit on a file name; anything longer is not a distribution.
MAX_NAME_LENGTH = 255


class NotADistributionName(EvidenceError):
    """A name that is not a wheel or sdist file name."""


@dataclass(frozen=True)
class DistributionName:
    """The parts of a distribution file name that say which file it is, normalised."""

    kind: Literal["wheel", "sdist"]
    project: str  # PEP 503 normalised
    version: str  # PEP 440 normal form
    build: str  # wheel build tag ("" when absent, always for sdists)
    tags: frozenset[str]  # wheel tags, expanded (empty for sdists)
    suffix: str  # ".whl", ".tar.gz" or ".zip"

    def describe(self) -> str:
        if self.kind == "sdist":
            return f"sdist {self.project} {self.version} ({self.suffix})"
        build = f" build {self.build}" if self.build else ""
        return f"wheel {self.project} {self.version}{build} [{', '.join(sorted(self.tags))}]"


def parse_distribution_name(filename: str) -> DistributionName:
    """Parse a wheel or sdist file name; raises `NotADistributionName` otherwise."""
    if len(filename) > MAX_NAME_LENGTH or "/" in filename or "\\" in filename:
        raise NotADistributionName(
            f"{filename[:80]!r} is not a distribution file name", check="subject"
        )
    try:
        if filename.endswith(".whl"):
            project, version, build, tags = parse_wheel_filename(filename)
            return DistributionName(
                kind="wheel",
                project=project,
                version=str(version),
                build="".join(str(part) for part in build),
                tags=frozenset(str(tag) for tag in tags),
                suffix=".whl",
            )
        if filename.endswith(SDIST_SUFFIXES):
            project, version = parse_sdist_filename(filename)
            suffix = next(s for s in SDIST_SUFFIXES if filename.endswith(s))
            return DistributionName("sdist", project, str(version), "", frozenset(), suffix)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion) as exc:
        raise NotADistributionName(
            f"{filename!r} is not a valid distribution file name: {exc}", check="subject"
        ) from exc
    raise NotADistributionName(
        f"{filename!r} is not a distribution file name: expected a wheel (.whl) or an sdist "
        "(.tar.gz, .zip)",
        check="subject",
    )
