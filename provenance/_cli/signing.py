"""`provenance keys generate` and `provenance approve`: what site staff sign."""

from __future__ import annotations

from pathlib import Path

import click

from provenance._cli import cli
from provenance._cli.common import InputPath, library_errors, one_line, verdict


@cli.group()
def keys() -> None:
    """Site and staff signing keys."""


@keys.command("generate")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--type",
    "key_type",
    type=click.Choice(["ed25519", "p256"]),
    default="ed25519",
    show_default=True,
    help="Ed25519, or ECDSA P-256 where FIPS algorithms are required.",
)
@click.option("--force", is_flag=True, help="Replace an existing key (atomically).")
@click.option(
    "--encrypt",
    is_flag=True,
    help="Encrypt the private key under a passphrase from $PROVENANCE_KEY_PASSPHRASE or a "
    "prompt (never a flag); commands that sign ask for it the same way.",
)
def keys_generate(path: Path, key_type: str, force: bool, encrypt: bool) -> None:
    """Write a private key to PATH (mode 0600) and its public key to PATH.pub.

    An existing key is never overwritten unless --force is given.
    """
    from provenance.commands.keys import generate

    with library_errors():
        key = generate(
            path, key_type="p256" if key_type == "p256" else "ed25519", force=force,
            encrypt=encrypt,
        )  # fmt: skip
    kept = "encrypted private key" if encrypt else "private key (keep it secret)"
    click.echo(f"{one_line(str(path))}: {key_type} {kept}", err=True)
    click.echo(f"{one_line(str(path))}.pub: public key {key.key_id}", err=True)


@cli.command()
@click.argument("artifact")
@click.option(
    "--key",
    type=InputPath("your private key (PEM)"),
    required=True,
    metavar="PEM",
    help="Your private key (a member key of GROUP in the site policy).",
)
@click.option("--group", required=True, help="The site group you approve for, e.g. ot-security.")
@click.option("--segment", required=True, help="The segment the approval is for.")
@click.option("--comment", required=True, help="What you reviewed: change ticket, test result.")
@click.option("--name", "approver", help="Your name as recorded (default: the key file's name).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Where to write (default: ARTIFACT.approval-<keyid>.json beside it).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing approval file.")
def approve(
    *,
    artifact: str,
    key: Path,
    group: str,
    segment: str,
    comment: str,
    approver: str | None,
    out: Path | None,
    force: bool,
) -> None:
    """Sign an approval of ARTIFACT (a file, or sha256:<hex>) for SEGMENT (two-person rule).

    The approval is an in-toto Statement about the artifact's digest in a DSSE envelope; give
    it to `provenance admit` as evidence, or leave it beside the artifact.
    """
    from provenance.commands.approve import approve as run_approve

    with library_errors():
        made = run_approve(
            artifact,
            key=key,
            group=group,
            segment=segment,
            comment=comment,
            approver=approver,
            out=out,
            force=force,
        )
    click.echo(
        verdict(
            "OK",
            artifact,
            f"approval for {segment} on behalf of {group} written to {made.path} "
            f"(key {made.key_id})",
        ),
        err=True,
    )
