"""`provenance sbom check` and `provenance sbom scan`."""

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
from provenance.scales import SEVERITY_ORDER, SeverityBand

# Every band but none: failing on "none or worse" would fail on every finding.
_SEVERITIES = SEVERITY_ORDER[1:]


@cli.group()
def sbom() -> None:
    """Validate SBOMs (CycloneDX JSON/XML, SPDX 2.3 JSON), scan them for known
    vulnerabilities offline, or check them against a segment's policy."""


@sbom.command(
    epilog="""\b
Examples:
  provenance sbom check app.cdx.json
  provenance sbom check app.cdx.json --policy site.yaml --segment plant-a
\b
Exit codes:
  0  a valid SBOM (with --policy: it meets the segment's sbom, components and licenses
     requirements)
  1  not a valid SBOM (malformed, schema-invalid, oversized); with --policy: it does not
     meet them (including an SBOM not bound to --artifact)
  2  could not run as asked (unreadable file, invalid policy, unknown segment)"""
)
@click.argument("sbom_path", metavar="SBOM", type=InputPath("an SBOM"))
@click.option("--policy", type=InputPath("the site policy"), help="Site policy (with --segment).")
@click.option("--segment", help="The segment whose requirements apply (with --policy).")
@click.option(
    "--artifact",
    metavar="FILE|sha256:HEX",
    help="With --policy: the artifact the SBOM must describe (its metadata.component hashes).",
)
@report_format_option()
def check(
    *,
    sbom_path: Path,
    policy: Path | None,
    segment: str | None,
    artifact: str | None,
    output_format: str,
) -> None:
    """Validate SBOM and summarise it: format, what it describes, components, and how many
    carry each minimum element (NTIA 2021, CISA 2025). With --policy and --segment: check it
    against that segment's sbom, components and licenses requirements instead."""
    if policy is None and segment is None:
        if artifact is not None:
            usage_exit("--artifact needs --policy and --segment (a binding the policy requires)")
        _summarise(sbom_path, output_format)
    if policy is None or segment is None:
        usage_exit("--policy and --segment go together (without both: validate and summarise)")
    from provenance.commands.sbom_check import check_sbom
    from provenance.report.sbom_check import render_json, render_text, verdict_line

    with library_errors():
        result = check_sbom(sbom_path, policy=policy, segment=segment, artifact=artifact)
    echo_report(render_json(result) if output_format == "json" else render_text(result))
    click.echo(verdict_line(result), err=True)
    sys.exit(EXIT_OK if result.passed else EXIT_FAILED)


def _summarise(sbom_path: Path, output_format: str) -> None:
    from provenance.commands.sbom_summary import summarise_sbom
    from provenance.report.sbom_summary import render_json, render_text, verdict_line

    with library_errors():
        result = summarise_sbom(sbom_path)
    echo_report(render_json(result) if output_format == "json" else render_text(result))
    click.echo(verdict_line(result), err=True)
    sys.exit(EXIT_OK if result.valid else EXIT_FAILED)


@sbom.command(
    epilog="""\b
Examples:
  provenance sbom scan app.cdx.json
  provenance sbom scan app.cdx.json --vex app.vex.json --fail-on high --format sarif
\b
Exit codes:
  0  scanned; with --fail-on: no finding at or above it, known exploited or unscored
  1  a finding fails --fail-on, or the SBOM is not valid
  2  could not run as asked (unreadable file or VEX, no vulnerability database)"""
)
@click.argument("sbom_path", metavar="SBOM", type=InputPath("an SBOM"))
@click.option(
    "--vex",
    "vex_paths",
    multiple=True,
    type=InputPath("a VEX document"),
    metavar="FILE",
    help="A CycloneDX VEX or OpenVEX document about this SBOM's product (repeatable): "
    "not_affected (with a justification) or fixed sets a finding aside.",
)
@click.option(
    "--fail-on",
    type=click.Choice(_SEVERITIES),
    metavar="SEVERITY",
    help=f"Exit 1 if a finding is at or above SEVERITY ({', '.join(_SEVERITIES)}), known "
    "exploited (CISA KEV), or has no score.",
)
@report_format_option(("text", "json", "sarif", "markdown"))
@click.option(
    "--sarif-root",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="SARIF paths are relative to DIR (default: $GITHUB_WORKSPACE, else the current "
    "directory).",
)
@state_dir_option
def scan(
    *,
    sbom_path: Path,
    vex_paths: tuple[Path, ...],
    fail_on: str | None,
    output_format: str,
    sarif_root: Path | None,
    state_dir: Path | None,
) -> None:
    """Look up SBOM's components in the offline vulnerability database (`provenance vulndb
    import`): OSV by purl and version, CISA KEV, CSAF advisories. No artifact, no policy.

    Prints one row per finding: component, installed version, vulnerability, severity,
    known exploited, and the versions that fix it.
    """
    from typing import cast

    from provenance.commands.sbom_scan import scan_sbom
    from provenance.report.sarif_locations import sarif_root as root_of
    from provenance.report.sbom_scan import render, verdict_line

    with library_errors():
        result = scan_sbom(
            sbom_path,
            vex=vex_paths,
            state_dir=state_dir,
            fail_on=cast("SeverityBand | None", fail_on),
        )
    echo_report(render(result, output_format, root=root_of(sarif_root)))
    click.echo(verdict_line(result), err=True)
    sys.exit(EXIT_OK if result.passed else EXIT_FAILED)
