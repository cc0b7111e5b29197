"""Files the user names: checked to be regular files before they are read, read with a size
limit, and new files written without replacing anything.

A path on the command line may name a FIFO (opening it for reading waits for a writer,
forever), a device (`/dev/zero` never ends, `/dev/tty` waits for a keyboard), a socket or a
directory. None of them is an input; each is refused with what it is (`InputError`, exit 2).
The check is made twice: on the path before anything opens it (`require_regular_file`, which
the command line applies to every file option), and on the opened descriptor
(`open_regular_file`: opened with O_NONBLOCK, so even a FIFO swapped in meanwhile cannot make
the open wait, then `fstat`).
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

from provenance.errors import InputError, UsageError

__all__ = [
    "describe_file_type",
    "open_regular_descriptor",
    "open_regular_file",
    "read_bounded",
    "require_regular_file",
    "write_new_file",
]

_CHUNK = 64 * 1024
NEW_FILE_MODE = 0o644


def describe_file_type(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    kinds = (
        (stat.S_ISREG, None),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    for test, words in kinds:
        if test(mode):
            return words
    return "not a regular file"


def require_regular_file(path: Path, what: str) -> None:
    """`InputError` if `path` exists and is anything but a regular file (links followed).

    A missing path is left to the reader, which says what was missing in its own words.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    kind = describe_file_type(mode)
    if kind is not None:
        raise InputError(f"{path}: is {kind}; expected {what} as a regular file")


def open_regular_descriptor(path: Path, what: str) -> int:
    """Open `path` for reading, refusing anything but a regular file without ever blocking.

    1. Open with O_NONBLOCK (and O_NOCTTY): a FIFO without a writer or a terminal cannot
       make the open wait.
    2. `fstat` the descriptor: the file actually opened is the one checked.
    3. Anything else than a regular file is closed and refused (`InputError`).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory; expected {what} as a regular file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    kind = describe_file_type(os.fstat(descriptor).st_mode)
    if kind is not None:
        os.close(descriptor)
        raise InputError(f"{path}: is {kind}; expected {what} as a regular file")
    return descriptor


def open_regular_file(path: Path, what: str) -> io.BufferedReader:
    """`open_regular_descriptor`, as a buffered binary file."""
    return io.BufferedReader(io.FileIO(open_regular_descriptor(path, what), "rb", closefd=True))


def read_bounded(path: Path, limit: int, what: str) -> bytes | None:
    """The file's bytes, or None if it holds more than `limit` bytes.

    Raises `InputError` if the file cannot be read or is not a regular file: a missing or
    unreadable input is the operator's problem (exit 2), whereas what the caller does with an
    oversized file depends on whether it is evidence or configuration.
    """
    with open_regular_file(path, what) as handle:
        try:
            if os.fstat(handle.fileno()).st_size > limit:
                return None
            # Not trusting st_size alone: files can grow while they are read.
            chunks, total = [], 0
            while total <= limit and (chunk := handle.read(min(_CHUNK, limit + 1 - total))):
                chunks.append(chunk)
                total += len(chunk)
        except OSError as exc:
            raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    return None if total > limit else b"".join(chunks)


def write_new_file(path: Path, data: bytes, what: str) -> None:
    """Write `data` to a new file at `path`; refuse if anything is there already (a file, a
    link), so nothing the user had is overwritten."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags, NEW_FILE_MODE)
    except FileExistsError as exc:
        raise UsageError(
            f"{path}: already exists; refusing to overwrite it with the {what}"
        ) from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot write the {what}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write the {what}: {exc.strerror or exc}") from exc
