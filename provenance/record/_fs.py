"""File-system steps that make a rename durable: exclusive creation, fsync, directory fsync."""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from provenance.file_modes import PRIVATE_FILE_MODE, SEALED_FILE_MODE

__all__ = [
    "PRIVATE_FILE_MODE",
    "SEALED_FILE_MODE",
    "create_exclusive",
    "ensure_directory",
    "fsync_directory",
    "unique_name",
    "write_durably",
]


def unique_name(prefix: str, suffix: str) -> str:
    """A name no other process will choose: the pid plus 128 random bits."""
    return f"{prefix}{os.getpid()}-{secrets.token_hex(16)}{suffix}"


def create_exclusive(path: Path) -> int:
    """Open a new file for writing; fails if anything (a file, a symlink) is already there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    return os.open(path, flags, PRIVATE_FILE_MODE)


def fsync_directory(path: Path) -> None:
    """Make the directory's entries (a rename into it, a new subdirectory) durable.

    POSIX only: Windows cannot open a directory as a file, and NTFS journals metadata.
    """
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def ensure_directory(path: Path, mode: int) -> None:
    """Create `path` (and missing parents) and fsync each new entry's parent."""
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=mode)
        except FileExistsError:
            continue  # made meanwhile by another process; checked below
        fsync_directory(directory.parent)
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))


def write_durably(data: bytes, temporary_dir: Path, target: Path) -> None:
    """Write `target` atomically: a new file in `temporary_dir`, fsync, rename, fsync the dir.

    `temporary_dir` must be on the same file system as `target` (rename is atomic only there).
    Readers see the old content or the new content, never a partial file.
    """
    temporary = temporary_dir / unique_name("write-", ".part")
    descriptor = create_exclusive(temporary)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, SEALED_FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)
