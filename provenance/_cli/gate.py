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
    InputPath,
    echo_report,
    expected_sha256_option,
    ledger_option,
    library_errors,
    one_line,
    online_revocation_option,
    report_format_option,
    run_inspections_option,
    site_public_keys_option,
    state_dir_option,
    usage_exit,
    verdict,
)
from provenance._cli.vet import parse_reports, report_options, write_reports

_GATE_CODES = """\b
Exit codes:
  0  allowed and admitted
  1  denied; the denial is recorded in the audit log
  2  could not run as asked (bad flags, unreadable input, invalid policy, ledger locked)"""

_CHECK_CODES = """\b
Exit codes:
  0  admitted
  1  not admitted, saying why and what to do: denied at admission (when, why), admitted
     only to other segments, never seen by the gate, or a ledger its signed records do not
     back. check only reads: it records nothing.
  2  could not run as asked (unknown segment, no site public key, unreadable ledger or VSA)"""


@cli.command(epilog=_GATE_CODES)
@click.argument("artifact", type=InputPath("the artifact to admit"))
@click.argument("evidence", nargs=-1, type=InputPath("an evidence file"))
@click.option(
    "--policy",
    "policy_path",
    type=InputPath("the site policy"),
    required=True,
    metavar="FILE",
    help="The site policy.",
)
@click.option("--segment", required=True, help="The segment to admit into.")
@state_dir_option
@ledger_option
@click.option(
    "--site-key",
    type=InputPath("the site's private key (PEM)"),
    metavar="PEM",
    help="Private key that signs VSAs and audit records (default: "
    "$PROVENANCE_SITE_KEY, else site.key in the state directory).",
)
@click.option("--product", metavar="PURL", help="Which of the vendor's products this is.")
@click.option(
    "--artifact-version",
    "version",
    metavar="V",
    help="The artifact's version, when no signed evidence names one.",
)
@expected_sha256_option
@run_inspections_option
@online_revocation_option
@click.option(
    "--evidence",
    "evidence_files",
    multiple=True,
    type=InputPath("an evidence file"),
    metavar="FILE",
    help="An evidence file (repeatable), as with verify; the same as naming it after ARTIFACT.",
)
@report_format_option()
@report_options
def admit(
    *,
    artifact: Path,
    evidence: tuple[Path, ...],
    evidence_files: tuple[Path, ...],
    policy_path: Path,
    segment: str,
    state_dir: Path | None,
    ledger: str | None,
    site_key: Path | None,
    product: str | None,
    version: str | None,
    expected_sha256: str | None,
    run_inspections: bool,
    online_revocation: bool,
    output_format: str,
    reports: tuple[str, ...],
    force: bool,
    sarif_root: Path | None,
) -> None:
    """Verify ARTIFACT and its EVIDENCE (default: the bundles and approvals beside it) and, if
    the policy allows it into SEGMENT, copy it into the approved store, record the decision,
    and write a signed VSA. A denial is recorded too; nothing is admitted."""
    from provenance.commands.admit import admit as run_admit
    from provenance.report.admit_report import admit_to_dict, render_json, render_text, verdict_line
    from provenance.report.vet_json import wrap_decision

    targets = parse_reports(reports, force=force)  # checked before anything is recorded
    with library_errors():
        result = run_admit(
            artifact,
            (*evidence, *evidence_files),
            policy_path=policy_path,
            segment=segment,
            state_dir=state_dir,
            site_key=site_key,
            product=product,
            version=version,
            expected_sha256=expected_sha256,
            run_inspections=run_inspections,
            online_revocation=online_revocation,
            ledger=ledger,
        )
    if targets:
        # `--report json=` is the document `--format json` prints; the others render it as a
        # delivery of one file, as for verify --segment.
        document = admit_to_dict(result)
        write_reports(
            targets,
            wrap_decision(document),
            force=force,
            sarif_root=sarif_root,
            json_result=document,
        )
    echo_report(render_json(result) if output_format == "json" else render_text(result))
    click.echo(verdict_line(result), err=True)
    sys.exit(EXIT_OK if result.allowed else EXIT_FAILED)


@cli.command(epilog=_CHECK_CODES)
@click.argument("artifact")
@click.option("--segment", required=True, help="The segment the file is to be installed in.")
@state_dir_option
@ledger_option
@click.option(
    "--vsa",
    type=InputPath("a VSA"),
    metavar="FILE",
    help="Check against this VSA from the gate instead of the ledger.",
)
@site_public_keys_option(
    "The site's public key (repeatable; default: the policy's site.vsa_key, else site.key.pub "
    "in the state directory, which whoever holds the disk can replace: prefer a copy)."
)
@click.option(
    "--policy",
    type=InputPath("the site policy"),
    metavar="FILE",
    help="Take the site's public key from this policy's site.vsa_key.",
)
def check(
    *,
    artifact: str,
    segment: str,
    state_dir: Path | None,
    ledger: str | None,
    vsa: Path | None,
    site_keys: tuple[Path, ...],
    policy: Path | None,
) -> None:
    """Is this exact file (ARTIFACT, or sha256:<hex>) admitted to SEGMENT? Offline. From the
    ledger, only an admission backed by its signed audit record, in the log the newest signed
    checkpoint covers, and not denied since, counts; a VSA must carry a valid inclusion proof."""
    with library_errors():
        if vsa is None:
            from provenance.commands.check import check as run_check

            result = run_check(
                artifact,
                segment=segment,
                state_dir=state_dir,
                site_keys=site_keys,
                policy=policy,
                ledger=ledger,
            )
        else:
            from provenance.commands.check_vsa import check_vsa

            result = check_vsa(
                artifact, segment=segment, vsa=vsa, site_keys=site_keys, policy=policy
            )
    if result.admitted:
        click.echo(verdict("OK", artifact, result.how), err=True)
        sys.exit(EXIT_OK)
    click.echo(verdict("FAIL", artifact, result.how), err=True)
    sys.exit(EXIT_FAILED)


@cli.group()
def audit() -> None:
    """Verify and export the tamper-evident audit log, and keep witnesses of it."""


_AUDIT_CODES = """\b
Exit codes:
  0  verified (audit verify: the log is intact and extends every witness)
  1  a problem, each named on stdout as `problem: ...` (checkpoint: it does not verify)
  2  could not run as asked (no site public key, unreadable state or witness file)"""

_NO_WITNESS = (
    "no witness given, so removal of the newest records (with their checkpoints) cannot be "
    "ruled out: keep `provenance audit checkpoint --output FILE` (or the VSAs) on another "
    "host and pass them with --witness"
)


@audit.command("verify", epilog=_AUDIT_CODES)
@state_dir_option
@ledger_option
@site_public_keys_option(
    "Public key(s) the records and checkpoints are signed with (default: site.key.pub in "
    "the state directory)."
)
@click.option(
    "--witness",
    "witnesses",
    type=InputPath("a witness (a checkpoint or a VSA)"),
    multiple=True,
    metavar="FILE",
    help="A checkpoint (from `audit checkpoint`) or a VSA kept elsewhere: the log must still "
    "hold what it saw (repeatable).",
)
@click.option("--no-hash", is_flag=True, help="Check stored files exist, without re-hashing.")
def audit_verify(
    *,
    state_dir: Path | None,
    ledger: str | None,
    site_keys: tuple[Path, ...],
    witnesses: tuple[Path, ...],
    no_hash: bool,
) -> None:
    """Check that no audit record was edited, removed, inserted or reordered; that the Merkle
    tree and every signed checkpoint match the records; that every admission matches its audit
    record and its stored file; and that the log still extends every witness (a checkpoint or
    VSA kept elsewhere). Exit 1 on any problem."""
    from provenance.commands.audit import audit_verify as run_verify

    with library_errors():
        result = run_verify(
            state_dir=state_dir,
            site_keys=site_keys,
            witnesses=witnesses,
            hash_store_files=not no_hash,
            ledger=ledger,
        )
    report = result.report
    for problem in result.problems:
        click.echo(f"problem: {one_line(problem)}")
    for orphan in report.orphans:
        click.echo(f"orphan: {one_line(str(orphan))} (left by an interrupted command; harmless)")
    for line in report.log.witnesses:
        click.echo(one_line(line))
    log = report.log
    tree = (
        f"Merkle tree of {log.tree_size} records matches its newest signed checkpoint"
        if log.newest_checkpoint == log.tree_size and log.tree_size
        else f"Merkle tree of {log.tree_size} records"
    )
    facts = f"{report.audit.facts()}; {tree}; {report.admission_count} admission(s)"
    if result.ok:
        if not witnesses:
            click.echo(f"note: {_NO_WITNESS}")
        intact = "audit log is empty" if not log.tree_size else f"audit log intact: {facts}"
        click.echo(f"OK: {one_line(intact)}", err=True)
        sys.exit(EXIT_OK)
    click.echo(f"FAIL: {len(result.problems)} problem(s): {one_line(facts)}", err=True)
    sys.exit(EXIT_FAILED)


@audit.command("checkpoint", epilog=_AUDIT_CODES)
@state_dir_option
@ledger_option
@site_public_keys_option(
    "Public key(s) the checkpoint is verified with before it is written (default: "
    "site.key.pub in the state directory)."
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Write it to FILE (never overwritten) instead of standard output.",
)
def audit_checkpoint(
    *,
    state_dir: Path | None,
    ledger: str | None,
    site_keys: tuple[Path, ...],
    output: Path | None,
) -> None:
    """Write the log's newest signed checkpoint (C2SP signed note: origin, size, root hash),
    once it verifies. Keep it on another host and give it to `audit verify --witness` later:
    the log must then still extend it."""
    from provenance.commands.audit import audit_checkpoint as run_checkpoint
    from provenance.inputs.files import write_new_file

    with library_errors():
        result = run_checkpoint(state_dir=state_dir, site_keys=site_keys, ledger=ledger)
        if result.note is None:
            click.echo(f"FAIL: checkpoint: {one_line(result.problem or '')}", err=True)
            sys.exit(EXIT_FAILED)
        note = result.note
        if output is not None:
            write_new_file(output, note.encode(), "checkpoint")
    if output is None:
        click.echo(note, nl=False)
    size = note.split("\n", 2)[1]
    where = "standard output" if output is None else one_line(str(output))
    click.echo(f"OK: checkpoint of {size} records written to {where}", err=True)
    sys.exit(EXIT_OK)


@audit.command("export")
@state_dir_option
@ledger_option
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
def audit_export(
    *, state_dir: Path | None, ledger: str | None, since: str | None, output_format: str
) -> None:
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
            ledger=ledger,
        )
    click.echo(text, nl=False)
