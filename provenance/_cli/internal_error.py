"""The CLI's last line of defence: an exception that is not the project's error is a bug.

It must never pass for a verdict (exit 1 is "denied") nor show a Python traceback to an
operator: it becomes one line and exit 2 ("could not decide"), and the traceback goes to a
file the line names (or to stderr with `--debug`) for the bug report.
"""

from __future__ import annotations

import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import NoReturn

import click

from provenance._cli.common import EXIT_USAGE, one_line

__all__ = ["Settings", "internal_error"]


class Settings:
    """`provenance --debug`: set by the group's option, read if a command crashes."""

    debug = False


def internal_error(exc: BaseException, command: str) -> NoReturn:
    from provenance.steps import step_of

    where = step_of(exc) or f"running {command}"
    text = "".join(traceback.format_exception(exc))
    if Settings.debug:
        click.echo(text, err=True, nl=False)
        report = "the traceback above"
    else:
        report = f"the traceback in {_save(text)} (or run with --debug to see it)"
    click.echo(
        f"internal error while {one_line(where)}: {type(exc).__name__}: {one_line(str(exc))} "
        f"(this is a bug; please report it with {report})",
        err=True,
    )
    sys.exit(EXIT_USAGE)


def _save(text: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    with tempfile.NamedTemporaryFile(
        "w", prefix=f"provenance-internal-error-{stamp}-", suffix=".txt", delete=False
    ) as handle:
        handle.write(text)
    return str(Path(handle.name))
