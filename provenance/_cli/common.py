"""Shared pieces of the command line: exit codes, one-line errors, library error handling."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from provenance.inputs.files import describe_file_type
from provenance.report.lines import one_line, verdict

Command = Callable[..., None]

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "InputPath",
    "echo_report",
    "ledger_option",
    "library_errors",
    "one_line",
    "quiet",
    "quiet_option",
    "report_format_option",
    "site_public_keys_option",
    "state_dir_option",
    "usage_exit",
    "verdict",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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


class InputPath(click.Path):
    """A path the command reads: refused before anything opens it (exit 2, saying what it
    is) if it names a FIFO, a device, a socket, or a directory where a file is expected.

    A missing path passes: the command's own reader says what was missing, in its words.
    """

    def __init__(self, what: str, *, directory: bool = False) -> None:
        super().__init__(path_type=Path)
        self.what = what
        self.directory = directory

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = Path(os.fsdecode(super().convert(value, param, ctx)))
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return path  # missing or unreadable: the reader reports it
        kind = describe_file_type(mode)
        if kind is not None and not (self.directory and stat.S_ISDIR(mode)):
            expected = f"{self.what} (a file or a directory)" if self.directory else self.what
            self.fail(f"{path}: is {kind}; expected {expected}", param, ctx)
        return path


def report_format_option(
    formats: tuple[str, ...] = ("text", "json"),
) -> Callable[[Command], Command]:
    """`--format FMT`: the report on stdout (the verdict line is always on stderr), and
    `--quiet`: no report, only the verdict line and the exit code (see `echo_report`)."""

    def decorate(command: Command) -> Command:
        command = quiet_option(command)
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(formats),
            default="text",
            show_default=True,
            help="Report on stdout; the verdict line is always on stderr.",
        )(command)

    return decorate


_QUIET = "provenance.quiet"


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta[_QUIET] = value
    return value


quiet_option = click.option(
    "--quiet",
    "-q",
    is_flag=True,
    expose_value=False,
    callback=_set_quiet,
    help="No report on stdout and no progress: only the verdict on stderr and the exit code "
    "(files asked for with --report are still written).",
)


def quiet() -> bool:
    """Whether `--quiet` was given to the running command."""
    return bool(click.get_current_context().meta.get(_QUIET, False))


def echo_report(text: str) -> None:
    """The report on stdout, unless `--quiet`."""
    if not quiet():
        click.echo(text, nl=False)


state_dir_option = click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    help="State directory (default: $PROVENANCE_STATE_DIR, else the user data directory).",
)


ledger_option = click.option(
    "--ledger",
    metavar="URI",
    help="A PostgreSQL ledger shared by several gate hosts (postgresql://...; default: "
    "$PROVENANCE_LEDGER, else ledger.sqlite3 in the state directory).",
)


def site_public_keys_option(help_text: str) -> Callable[[Command], Command]:
    return click.option(
        "--site-key",
        "site_keys",
        type=InputPath("the site's public key (PEM)"),
        multiple=True,
        metavar="PUB",
        help=help_text,
    )


expected_sha256_option = click.option(
    "--expected-sha256",
    metavar="HEX",
    help="The SHA-256 the vendor publishes for this file (copied from its portal): the "
    "weakest evidence, recorded as published-hash.",
)


run_inspections_option = click.option(
    "--run-inspections",
    is_flag=True,
    help="Run the commands an in-toto layout's inspections name (in a private copy of the "
    "layout's folder). Off by default: the report lists skipped inspections.",
)


online_revocation_option = click.option(
    "--online-revocation",
    is_flag=True,
    help="ONLINE: ask a certificate's OCSP responder when no CRL file decides (X.509 vendor "
    "signatures). Off by default: revocation comes from CRL files beside the evidence only.",
)
