"""`provenance sbom check`."""

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
    report_format_option,
)


@cli.group()
def sbom() -> None:
    """Check SBOMs (CycloneDX JSON/XML, SPDX 2.3 JSON) against a segment's policy."""


@sbom.command(
    epilog="""\b
Exit codes:
  0  the SBOM meets the segment's sbom, components and licenses requirements
  1  it does not (including a malformed, oversized or unbound SBOM)
  2  could not run as asked (unreadable file, invalid policy, unknown segment)"""
)
@click.argument("sbom_path", metavar="SBOM", type=InputPath("an SBOM"))
@click.option("--policy", required=True, type=InputPath("the site policy"), help="Site policy.")
@click.option("--segment", required=True, help="The segment whose requirements apply.")
@click.option(
    "--artifact",
    metavar="FILE|sha256:HEX",
    help="The artifact the SBOM must describe (its metadata.component hashes).",
)
@report_format_option()
def check(
    *, sbom_path: Path, policy: Path, segment: str, artifact: str | None, output_format: str
) -> None:
    """Check SBOM against the sbom, components and licenses requirements of SEGMENT."""
    from provenance.commands.sbom_check import check_sbom, render_json, render_text, verdict_line

    with library_errors():
        result = check_sbom(sbom_path, policy=policy, segment=segment, artifact=artifact)
    click.echo(render_json(result) if output_format == "json" else render_text(result), nl=False)
    click.echo(verdict_line(result), err=True)
    sys.exit(EXIT_OK if result.passed else EXIT_FAILED)
