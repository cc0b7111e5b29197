"""A folder's regular files, listed once, for looking names up as strings."""

from __future__ import annotations

import bisect
import itertools
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["FolderListing"]


class FolderListing:
    """The regular files of one folder (links followed, as `Path.is_file` sees them), listed
    once: `discover_evidence` looks names up here instead of globbing the folder, so vetting
    a delivery of N files lists each folder once, not once per artifact (O(N), not O(N^2)).

    A folder that cannot be listed (searchable but not readable) finds, as globbing it did,
    nothing by pattern; its fixed names are still looked up one by one.
    """

    def __init__(self, folder: Path, names: Iterable[str] | None) -> None:
        self.folder = folder
        self._names = frozenset(names) if names is not None else None
        self._sorted = sorted(self._names) if self._names is not None else []

    @classmethod
    def of(cls, folder: Path) -> FolderListing:
        """List `folder` now (a missing folder has no files)."""
        try:
            with os.scandir(folder) as scan:
                return cls.from_entries(folder, list(scan))
        except (FileNotFoundError, NotADirectoryError):
            return cls(folder, ())
        except PermissionError:
            return cls(folder, None)

    @classmethod
    def from_entries(cls, folder: Path, entries: Iterable[os.DirEntry[str]]) -> FolderListing:
        """From a listing already made (`os.scandir(folder)`)."""
        return cls(folder, (entry.name for entry in entries if _is_file(entry)))

    def is_file(self, name: str) -> bool:
        if self._names is None:
            return (self.folder / name).is_file()
        return name in self._names

    def matching(self, prefix: str, suffix: str) -> list[str]:
        """Names that `Path.glob(escaped(prefix) + "*" + suffix)` finds, in sorted order."""
        start = bisect.bisect_left(self._sorted, prefix)
        found = []
        for name in itertools.islice(self._sorted, start, None):
            if not name.startswith(prefix):
                break
            if name.endswith(suffix) and len(name) >= len(prefix) + len(suffix):
                found.append(name)
        return found


def _is_file(entry: os.DirEntry[str]) -> bool:
    """`Path.is_file` of a listed entry: a link is followed (and a broken one is no file)."""
    if entry.is_symlink():
        return Path(entry.path).is_file()
    return entry.is_file(follow_symlinks=False)
