"""The `provenance` command: parse flags, call one library function, render, exit.

Exit codes (the contract CI gates rely on):
  0  allowed / verified
  1  denied / verification failed (malformed evidence is a failed verification)
  2  could not run as asked: bad flags, unreadable input, invalid policy or trust root

The library's own errors (`ProvenanceError`) are answers: each command turns them into its
verdict or a usage error. Any other exception is a bug: it becomes one line "internal error
while <step>: ..." and exit 2, never 1, with the traceback in a file (or on stderr with
`--debug`). Library modules are imported inside the commands so that `provenance --help`
stays fast; the command modules below import only click at module level.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import NoReturn

import click

from provenance._cli.common import EXIT_OK, EXIT_USAGE, usage_exit
from provenance._cli.internal_error import Settings, internal_error
from provenance._cli.version import version_option

__all__ = ["cli", "main"]


def _debug(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    Settings.debug = value
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@version_option
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    callback=_debug,
    help="On an internal error (a bug), print its traceback instead of saving it to a file.",
)
def cli() -> None:
    """Decide, from cryptographic evidence, whether third-party software may enter an OT
    network segment, and keep the proof. Every command works offline."""


def main(args: Sequence[str] | None = None) -> NoReturn:
    """Console entry point: click's own usage errors become one line and exit code 2."""
    # Libraries warn about the attacker's input (cryptography: "a serial number which wasn't
    # positive"), attributed to the module of ours that read it; the verdict already says
    # what matters, and stderr carries one line per verdict.
    warnings.filterwarnings("ignore", module=r"provenance(\.|$)")
    try:
        cli.main(args=args, prog_name="provenance", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(EXIT_USAGE)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        usage_exit(exc.format_message() + hint)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        usage_exit("aborted")
    except click.ClickException as exc:
        usage_exit(exc.format_message())
    except Exception as exc:  # noqa: BLE001 - a bug: one line and exit 2, never a verdict
        internal_error(exc, _command(args))
    sys.exit(EXIT_OK)


def _command(args: Sequence[str] | None) -> str:
    """The subcommand's name, for an internal error that no step marked."""
    given = sys.argv[1:] if args is None else list(args)
    return next((arg for arg in given if not arg.startswith("-")), "provenance")


# Registered last: each module adds its commands to `cli`.
from provenance._cli import (  # noqa: E402
    crl,
    gate,
    kit,
    policy,
    sbom,
    signing,
    trust,
    verify,
    vet,
    vulndb,
)

__all__ += ["crl", "gate", "kit", "policy", "sbom", "signing", "trust", "verify", "vet", "vulndb"]
