"""`provenance kit export | import` (transfer kits for air-gapped sites) and `provenance ledger
migrate` (a gate's SQLite log continued in PostgreSQL)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provenance._cli import cli
from provenance._cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    InputPath,
    ledger_option,
    library_errors,
    one_line,
    site_public_keys_option,
    state_dir_option,
)

_KIT_CODES = """\b
Exit codes:
  0  exported / verified and imported
  1  import: the kit does not verify (tampered, untrusted, older, replayed or forked log)
  2  could not run as asked (bad flags, unreadable state, ledger or key)"""


@cli.group()
def kit() -> None:
    """Carry admissions to air-gapped sites: signed kits of artifacts, VSAs and the log."""


@kit.command("export", epilog=_KIT_CODES)
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--segment", required=True, help="The segment whose admissions the kit carries.")
@click.option(
    "--since",
    type=InputPath("a checkpoint"),
    metavar="CHECKPOINT",
    help="Only what the log gained after this checkpoint (the one the site last imported; "
    "`audit checkpoint` at the site writes it).",
)
@state_dir_option
@ledger_option
@click.option(
    "--site-key",
    type=InputPath("the site's private key (PEM)"),
    metavar="PEM",
    help="Private key that signs the kit's manifest (default: $PROVENANCE_SITE_KEY, else "
    "site.key in the state directory).",
)
def kit_export(
    *,
    out: Path,
    segment: str,
    since: Path | None,
    state_dir: Path | None,
    ledger: str | None,
    site_key: Path | None,
) -> None:
    """Write a kit to OUT (a new directory, or OUT.tar): SEGMENT's admitted artifacts, their
    VSAs, the log's records and its newest signed checkpoint, the site's public key and a
    signed manifest."""
    from provenance.commands.kit import kit_export as run_export

    with library_errors():
        result = run_export(out, segment=segment, since=since, state_dir=state_dir,
                            ledger=ledger, site_key=site_key)  # fmt: skip
    click.echo(
        f"OK: kit {one_line(str(result.path))}: {result.admissions} admission(s) to "
        f"{one_line(segment)}, {result.artifacts} artifact(s), records "
        f"{result.first_size + 1}-{result.size} of the log",
        err=True,
    )
    sys.exit(EXIT_OK)


@kit.command("import", epilog=_KIT_CODES)
@click.argument("kit_path", metavar="KIT", type=click.Path(path_type=Path))
@state_dir_option
@ledger_option
@site_public_keys_option(
    "The central site's public key(s) the kit must be signed with (repeatable; a trusted copy, "
    "never the one inside the kit)."
)
@click.option(
    "--policy",
    type=InputPath("the site policy"),
    metavar="FILE",
    help="Take the central site's public key from this policy's site.vsa_key.",
)
def kit_import(
    *,
    kit_path: Path,
    state_dir: Path | None,
    ledger: str | None,
    site_keys: tuple[Path, ...],
    policy: Path | None,
) -> None:
    """Verify KIT offline (manifest signature, every file's digest, every record, checkpoint
    and VSA, and that its log extends the one imported before) and install its artifacts and
    records, so `check` answers from them."""
    from provenance.commands.kit import kit_import as run_import

    with library_errors():
        outcome = run_import(kit_path, state_dir=state_dir, ledger=ledger,
                             site_keys=site_keys, policy=policy)  # fmt: skip
    if outcome.imported is None:
        click.echo(
            f"FAIL: kit {one_line(str(kit_path))}: {one_line(outcome.problem or '')}", err=True
        )
        sys.exit(EXIT_FAILED)
    result = outcome.imported
    click.echo(
        f"OK: kit {one_line(str(kit_path))}: {result.admissions_added} admission(s) to "
        f"{one_line(result.segment)} installed, {result.records_added} record(s) added; the "
        f"log {one_line(result.origin)} now holds {result.size} records",
        err=True,
    )
    sys.exit(EXIT_OK)


@cli.group()
def ledger() -> None:
    """Operate the ledger: move a gate's SQLite log to a PostgreSQL ledger."""


_MIGRATE_CODES = """\b
Exit codes:
  0  migrated (or found already migrated), verified on both sides
  1  a side does not pass audit verify; nothing was migrated
  2  could not run as asked (no site key, unreachable database, a database holding another log)"""


@ledger.command("migrate", epilog=_MIGRATE_CODES)
@click.option(
    "--to",
    "to",
    required=True,
    metavar="URI",
    help="The PostgreSQL ledger (postgresql://...): an empty database, or one holding this log.",
)
@state_dir_option
@site_public_keys_option(
    "Public key(s) the log is verified with on both sides (default: site.key.pub in the "
    "state directory)."
)
def ledger_migrate(*, to: str, state_dir: Path | None, site_keys: tuple[Path, ...]) -> None:
    """Copy the state directory's SQLite ledger (records, checkpoints, tree, admissions) into
    a PostgreSQL ledger, verified by `audit verify` on both sides, and mark the SQLite ledger
    as moved: gates then admit with --ledger URI; the SQLite file is kept, read-only."""
    from provenance.commands.ledger import ledger_migrate as run_migrate

    with library_errors():
        outcome = run_migrate(to, state_dir=state_dir, site_keys=site_keys)
    if outcome.migrated is None:
        click.echo(f"FAIL: ledger migrate: {one_line(outcome.problem or '')}", err=True)
        sys.exit(EXIT_FAILED)
    result = outcome.migrated
    done = "migrated" if result.copied else "already migrated (nothing copied)"
    click.echo(
        f"OK: {done}: log {one_line(result.origin)}, {result.records} records, "
        f"{result.admissions} admission(s); audit verify passed on both sides",
        err=True,
    )
    sys.exit(EXIT_OK)
