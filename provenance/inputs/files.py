"""Reading input files with a size limit, so a huge or endless file cannot exhaust memory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from provenance.errors import InputError

__all__ = ["read_bounded"]

_CHUNK = 64 * 1024


def read_bounded(path: Path, limit: int, what: str) -> bytes | None:
    """The file's bytes, or None if it holds more than `limit` bytes.

    Raises `InputError` if the file cannot be read: a missing or unreadable input is the
    operator's problem (exit 2), whereas what the caller does with an oversized file depends
    on whether it is evidence or configuration.
    """
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise InputError(f"{path}: is a directory, expected {what}")
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                return None
            # Not trusting st_size: FIFOs and devices report 0, and files can grow.
            chunks, total = [], 0
            while total <= limit and (chunk := handle.read(min(_CHUNK, limit + 1 - total))):
                chunks.append(chunk)
                total += len(chunk)
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory, expected {what}") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    return None if total > limit else b"".join(chunks)
