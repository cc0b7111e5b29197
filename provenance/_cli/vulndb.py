"""`provenance vulndb import|status|sync --online`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provenance._cli import cli
from provenance._cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    InputPath,
    echo_report,
    library_errors,
    report_format_option,
    state_dir_option,
    usage_exit,
)


@cli.group()
def vulndb() -> None:
    """The offline vulnerability database (OSV, CISA KEV, CSAF) in the state directory."""


@vulndb.command(
    "import",
    epilog="""\b
Exit codes:
  0  everything imported (or already present)
  1  imported, but some documents were refused (listed; the rest is committed)
  2  could not run: unreadable path, database corrupt/newer/unwritable; nothing imported""",
)
@click.argument("paths", nargs=-1, required=True, type=InputPath("advisory data", directory=True))
@click.option(
    "--policy",
    "policy_path",
    type=InputPath("a policy file (YAML)"),
    help="Site policy whose trust.advisories pins CSAF publishers' OpenPGP keys: their "
    "documents must carry a valid .asc signature by that key.",
)
@click.option(
    "--allow-unsigned",
    is_flag=True,
    help="Accept CSAF documents with neither a signature by a pinned key nor a .sha512 "
    "(recorded as unverified). Never accepts one whose signature or hash fails.",
)
@state_dir_option
@report_format_option()
def import_command(
    *,
    paths: tuple[Path, ...],
    policy_path: Path | None,
    allow_unsigned: bool,
    state_dir: Path | None,
    output_format: str,
) -> None:
    """Import OSV records (JSON/YAML files, directories, all.zip exports), a CISA KEV catalogue
    and CSAF 2.0 advisories (each verified by its .asc under a publisher key the policy pins,
    else its .sha512; with neither, refused unless --allow-unsigned). One transaction."""
    from provenance.commands.vulndb import (
        import_verdict,
        render_import_json,
        render_import_text,
        vulndb_import,
    )

    with library_errors():
        result = vulndb_import(
            paths, state_dir=state_dir, policy_path=policy_path, allow_unsigned=allow_unsigned
        )
    render = render_import_json if output_format == "json" else render_import_text
    echo_report(render(result))
    click.echo(import_verdict(result), err=True)
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


@vulndb.command()
@state_dir_option
@report_format_option()
def status(*, state_dir: Path | None, output_format: str) -> None:
    """Sources, record counts per ecosystem and the age of the newest data."""
    from provenance.commands.vulndb import render_status_json, render_status_text, vulndb_status

    with library_errors():
        result = vulndb_status(state_dir=state_dir)
    render = render_status_json if output_format == "json" else render_status_text
    echo_report(render(result))
    sys.exit(EXIT_OK)


@vulndb.command()
@click.option("--online", is_flag=True, help="Required: this command downloads over HTTPS.")
@click.option(
    "--ecosystem",
    "ecosystems",
    multiple=True,
    metavar="NAME",
    help="OSV ecosystem to download (repeatable; default: PyPI, Go, crates.io).",
)
@click.option("--base-url", metavar="URL", help="Mirror of the OSV exports (https).")
@state_dir_option
@report_format_option()
def sync(
    *,
    online: bool,
    ecosystems: tuple[str, ...],
    base_url: str | None,
    state_dir: Path | None,
    output_format: str,
) -> None:
    """ONLINE: download OSV all.zip exports (timeouts, retries, resume) and import them."""
    from provenance.commands.vulndb import render_sync_json, render_sync_text, vulndb_sync
    from provenance.vulnerabilities.sync import DEFAULT_ECOSYSTEMS, OSV_EXPORT_BASE

    if not online:
        usage_exit("vulndb sync: goes online; expected --online to say so")
    with library_errors():
        result = vulndb_sync(
            state_dir=state_dir,
            ecosystems=ecosystems or DEFAULT_ECOSYSTEMS,
            base_url=base_url or OSV_EXPORT_BASE,
        )
    render = render_sync_json if output_format == "json" else render_sync_text
    echo_report(render(result))
    sys.exit(EXIT_OK if result.imported.ok else EXIT_FAILED)
