"""Shared pieces of the command line: exit codes, one-line errors, library error handling."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "library_errors", "one_line", "usage_exit"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def one_line(text: str) -> str:
    return " ".join(text.split())


def usage_exit(message: str) -> NoReturn:
    click.echo(f"error: {one_line(message)}", err=True)
    sys.exit(EXIT_USAGE)


@contextmanager
def library_errors() -> Iterator[None]:
    """Usage errors from the library exit 2 with their one-line message.

    Only the package's own errors are caught: anything else is a bug and keeps its traceback.
    """
    from provenance.errors import UsageError

    try:
        yield
    except UsageError as exc:
        usage_exit(str(exc))
