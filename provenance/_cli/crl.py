"""`provenance crl import`: CRLs the gate carries in its state directory."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provenance._cli import cli
from provenance._cli.common import EXIT_FAILED, library_errors, one_line, state_dir_option


@cli.group()
def crl() -> None:
    """Certificate revocation lists the gate carries (for air-gapped sites)."""


@crl.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@state_dir_option
def crl_import(files: tuple[Path, ...], state_dir: Path | None) -> None:
    """Keep the CRL FILES (PEM or DER) in the state directory.

    Every later verify, vet and admit uses them beside the CRLs a delivery carries: the
    newest CRL of an issuer decides, so an older one shipped later is refused. A CRL older
    than one already kept for its issuer is refused here too (exit 1). A CRL counts only if
    its CA's signature verifies, which is checked when it is used.
    """
    from provenance.commands.crl import import_crl_files
    from provenance.errors import VerificationFailure

    try:
        with library_errors():
            imported = import_crl_files(list(files), state_dir=state_dir)
    except VerificationFailure as exc:
        click.echo(f"FAIL: {one_line(str(exc))}", err=True)
        sys.exit(EXIT_FAILED)
    for entry in imported:
        kept = "kept" if entry.stored else "already kept"
        click.echo(
            f"OK: {entry.source}: {kept} (issuer '{entry.issuer}', {entry.description}, "
            f"sha256 {entry.sha256})",
            err=True,
        )
