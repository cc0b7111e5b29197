"""`provenance trust import|status|fetch --online`: Sigstore trust roots for air-gapped sites."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provenance._cli import cli
from provenance._cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    InputPath,
    library_errors,
    one_line,
    report_format_option,
    state_dir_option,
    usage_exit,
)

_REPOSITORY = click.option(
    "--repository",
    default="production",
    show_default=True,
    metavar="NAME",
    help="Which TUF repository: production or staging (Sigstore's), or a private instance's "
    "name (imported:NAME in policies).",
)


@cli.group()
def trust() -> None:
    """Sigstore trust roots carried in on removable media, verified through TUF."""


@trust.command(
    "import",
    epilog="""\b
Exit codes:
  0  verified and installed (or already imported)
  1  the snapshot does not verify: rollback, freeze, mix-and-match, wrong key; nothing kept
  2  could not run: unreadable folder, policy or site key""",
)
@click.argument("directory", type=InputPath("a TUF repository snapshot", directory=True))
@_REPOSITORY
@click.option(
    "--policy",
    "policy_path",
    type=InputPath("a policy file (YAML)"),
    help="Site policy: trust.tuf.max_staleness_days lets an offline site import a snapshot "
    "whose timestamp expired at most that long ago.",
)
@click.option(
    "--bootstrap-root",
    type=InputPath("a TUF root.json"),
    help="First import of a private instance's repository only: the TUF root.json to start "
    "from (production and staging start from the one in the sigstore package).",
)
@click.option(
    "--site-key", type=click.Path(path_type=Path), help="The key that signs the audit log."
)
@state_dir_option
def import_command(
    *,
    directory: Path,
    repository: str,
    policy_path: Path | None,
    bootstrap_root: Path | None,
    site_key: Path | None,
    state_dir: Path | None,
) -> None:
    """Verify the TUF snapshot in DIRECTORY from the last trusted root and install its
    trusted_root.json into the state directory (versioned; recorded in the audit log)."""
    from provenance.commands.trust import describe_import, trust_import
    from provenance.errors import VerificationFailure

    try:
        with library_errors():
            result = trust_import(
                directory,
                repository=repository,
                state_dir=state_dir,
                policy_path=policy_path,
                bootstrap=bootstrap_root,
                site_key=site_key,
            )
    except VerificationFailure as exc:
        click.echo(
            f"FAIL: trust import: {one_line(str(directory))}: {one_line(str(exc))}", err=True
        )
        sys.exit(EXIT_FAILED)
    click.echo(describe_import(result), err=True)
    sys.exit(EXIT_OK)


@trust.command()
@state_dir_option
@report_format_option()
def status(*, state_dir: Path | None, output_format: str) -> None:
    """Each trust root: its TUF root version, source, expiry and key IDs."""
    from provenance.commands.trust import render_status_json, render_status_text, trust_status
    from provenance.errors import VerificationFailure

    try:
        with library_errors():
            roots = trust_status(state_dir=state_dir)
    except VerificationFailure as exc:
        click.echo(f"FAIL: trust status: {one_line(str(exc))}", err=True)
        sys.exit(EXIT_FAILED)
    render = render_status_json if output_format == "json" else render_status_text
    click.echo(render(roots), nl=False)
    sys.exit(EXIT_OK)


@trust.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--online", is_flag=True, help="Required: this command downloads over HTTPS.")
@_REPOSITORY
@click.option("--base-url", metavar="URL", help="The TUF repository (default: Sigstore's CDN).")
@state_dir_option
def fetch(
    *, directory: Path, online: bool, repository: str, base_url: str | None, state_dir: Path | None
) -> None:
    """ONLINE: download a TUF repository snapshot into DIRECTORY (new), verified, to carry to
    an air-gapped site for `trust import`. Timeouts: 10 s to connect, 30 s to read."""
    from provenance.commands.trust_fetch import trust_fetch
    from provenance.errors import VerificationFailure

    if not online:
        usage_exit("trust fetch: goes online; expected --online to say so")
    try:
        with library_errors():
            verified = trust_fetch(
                directory, repository=repository, base_url=base_url, state_dir=state_dir
            )
    except VerificationFailure as exc:
        click.echo(f"FAIL: trust fetch: {one_line(str(exc))}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(
        f"OK: trust fetch: {one_line(str(directory))}: timestamp "
        f"v{verified.timestamp.signed.version} (expires "
        f"{verified.timestamp.signed.expires.isoformat()}), trusted_root.json sha256:"
        f"{verified.trusted_root_sha256[:16]}...",
        err=True,
    )
    sys.exit(EXIT_OK)
