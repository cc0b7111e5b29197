"""`provenance admit`, `provenance check` and `provenance audit`: the gate and its proof."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from provenance._cli import cli
from provenance._cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    expected_sha256_option,
    library_errors,
    one_line,
    online_revocation_option,
    report_format_option,
    run_inspections_option,
    site_public_keys_option,
    state_dir_option,
    usage_exit,
)

_GATE_CODES = """\b
Exit codes:
  0  allowed and admitted (check: admitted)
  1  denied (check: not admitted); the denial is recorded in the audit log
  2  could not run as asked (bad flags, unreadable input, invalid policy, ledger locked)"""


@cli.command(epilog=_GATE_CODES)
@click.argument("artifact", type=click.Path(path_type=Path))
@click.argument("evidence", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path),
    required=True,
    metavar="FILE",
    help="The site policy.",
)
@click.option("--segment", required=True, help="The segment to admit into.")
@state_dir_option
@click.option(
    "--site-key",
    type=click.Path(path_type=Path),
    metavar="PEM",
    help="Private key that signs VSAs and audit records (default: "
    "$PROVENANCE_SITE_KEY, else site.key in the state directory).",
)
@click.option("--product", metavar="PURL", help="Which of the vendor's products this is.")
@click.option(
    "--version", "version", metavar="V", help="The version, when no signed evidence names one."
)
@expected_sha256_option
@run_inspections_option
@online_revocation_option
@report_format_option()
def admit(
    *,
    artifact: Path,
    evidence: tuple[Path, ...],
    policy_path: Path,
    segment: str,
    state_dir: Path | None,
    site_key: Path | None,
    product: str | None,
    version: str | None,
    expected_sha256: str | None,
    run_inspections: bool,
    online_revocation: bool,
    output_format: str,
) -> None:
    """Verify ARTIFACT and its EVIDENCE (default: the bundles and approvals beside it) and, if
    the policy allows it into SEGMENT, copy it into the approved store, record the decision,
    and write a signed VSA. A denial is recorded too; nothing is admitted."""
    from provenance.commands.admit import admit as run_admit
    from provenance.report.admit_report import render_json, render_text, verdict_line

    with library_errors():
        result = run_admit(
            artifact,
            evidence,
            policy_path=policy_path,
            segment=segment,
            state_dir=state_dir,
            site_key=site_key,
            product=product,
            version=version,
            expected_sha256=expected_sha256,
            run_inspections=run_inspections,
            online_revocation=online_revocation,
        )
    click.echo(render_json(result) if output_format == "json" else render_text(result), nl=False)
    click.echo(verdict_line(result), err=True)
    sys.exit(EXIT_OK if result.allowed else EXIT_FAILED)


@cli.command(epilog=_GATE_CODES)
@click.argument("artifact")
@click.option("--segment", required=True, help="The segment the file is to be installed in.")
@state_dir_option
@click.option(
    "--vsa",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Check against this VSA from the gate instead of the ledger.",
)
@site_public_keys_option("The site's public key, to verify --vsa (repeatable).")
@click.option(
    "--policy",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Take the site's public key from this policy's site.vsa_key.",
)
def check(
    *,
    artifact: str,
    segment: str,
    state_dir: Path | None,
    vsa: Path | None,
    site_keys: tuple[Path, ...],
    policy: Path | None,
) -> None:
    """Is this exact file (ARTIFACT, or sha256:<hex>) admitted to SEGMENT? Offline."""
    with library_errors():
        if vsa is None:
            from provenance.commands.check import check as run_check

            result = run_check(artifact, segment=segment, state_dir=state_dir)
        else:
            from provenance.commands.check_vsa import check_vsa

            result = check_vsa(
                artifact, segment=segment, vsa=vsa, site_keys=site_keys, policy=policy
            )
    if result.admitted:
        click.echo(f"OK: {artifact}: {one_line(result.how)}", err=True)
        sys.exit(EXIT_OK)
    click.echo(f"FAIL: {artifact}: {one_line(result.how)}", err=True)
    sys.exit(EXIT_FAILED)


@cli.group()
def audit() -> None:
    """Verify and export the tamper-evident audit log."""


@audit.command("verify")
@state_dir_option
@site_public_keys_option(
    "Public key(s) the records are signed with (default: "
    "site.key.pub in the state directory, when present)."
)
@click.option("--no-hash", is_flag=True, help="Check stored files exist, without re-hashing.")
def audit_verify(*, state_dir: Path | None, site_keys: tuple[Path, ...], no_hash: bool) -> None:
    """Check that no audit record was edited, removed, inserted or reordered, and that every
    admission matches its audit record and its stored file. Exit 1 on any problem."""
    from provenance.commands.audit import audit_verify as run_verify

    with library_errors():
        report, keys = run_verify(
            state_dir=state_dir, site_keys=site_keys, hash_store_files=not no_hash
        )
    for problem in report.problems:
        click.echo(f"problem: {one_line(problem)}")
    for orphan in report.orphans:
        click.echo(f"orphan: {orphan} (left by an interrupted command; harmless)")
    summary = f"{report.audit.summary()}; {report.admission_count} admission(s)" + (
        "" if keys else "; no site public key given, so signatures were not checked"
    )
    if report.ok:
        click.echo(f"OK: {one_line(summary)}", err=True)
        sys.exit(EXIT_OK)
    click.echo(f"FAIL: {len(report.problems)} problem(s): {one_line(summary)}", err=True)
    sys.exit(EXIT_FAILED)


@audit.command("export")
@state_dir_option
@click.option(
    "--since", metavar="DATE", help="Only records at or after DATE (YYYY-MM-DD or RFC 3339)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
)
def audit_export(*, state_dir: Path | None, since: str | None, output_format: str) -> None:
    """Print the audit records: who the source was, how integrity was verified, when, under
    which policy, and the decision (the evidence NERC CIP-010 R1.6 asks to keep)."""
    from provenance.commands.audit import audit_export as run_export

    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            usage_exit(f"--since {since!r}: expected a date (YYYY-MM-DD) or an RFC 3339 time")
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
    with library_errors():
        text = run_export(
            state_dir=state_dir,
            since=start,
            output_format="csv" if output_format == "csv" else "json",
        )
    click.echo(text, nl=False)
