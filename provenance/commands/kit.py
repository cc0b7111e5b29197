"""`provenance kit export | import`: admissions carried to an air-gapped site on removable media.

Export reads the gate's ledger (SQLite or PostgreSQL) and signs the kit's manifest with the
site key (`--site-key`, `$PROVENANCE_SITE_KEY`, or `site.key` in the state directory). Import
trusts only the public keys it is given (`--site-key`, repeatable, or the policy's
`site.vsa_key`): copies kept apart from the kit, never the key the kit carries. A kit is a
directory, or a tar archive of one (`OUT.tar`); an archive is extracted with the delivery
limits into a private temporary directory first.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from provenance.clock import Clock, utc_now
from provenance.commands.admit import load_site_key, site_key_path
from provenance.errors import UsageError, VerificationFailure
from provenance.inputs.delivery_archive import (
    Budget,
    DeliveryRefused,
    Limits,
    extract_archive,
)
from provenance.inputs.files import read_bounded
from provenance.record import Ledger, StateDir, resolve_state_dir
from provenance.record.kit_export import ExportedKit, export_kit
from provenance.record.kit_import import ImportedKit, import_kit
from provenance.record.kit_manifest import KitRefused
from provenance.record.location import resolve_ledger
from provenance.transparency.checkpoint import MAX_CHECKPOINT_BYTES, parse_checkpoint
from provenance.verification.signers import PublicKeySigner, load_public_key

__all__ = ["KitImportResult", "kit_export", "kit_import"]

ARCHIVE_SUFFIX = ".tar"


def kit_export(
    out: Path,
    *,
    segment: str,
    since: Path | None = None,
    state_dir: Path | None = None,
    ledger: str | None = None,
    site_key: Path | None = None,
    clock: Clock = utc_now,
) -> ExportedKit:
    """Write a kit of SEGMENT's admissions (since the checkpoint in SINCE) to OUT."""
    state = StateDir.open(resolve_state_dir(state_dir), create=False)
    key = load_site_key(site_key_path(site_key, state.root))
    since_checkpoint = None
    if since is not None:
        data = read_bounded(since, MAX_CHECKPOINT_BYTES, "checkpoint")
        if data is None:
            raise UsageError(f"{since}: larger than {MAX_CHECKPOINT_BYTES} bytes; not a checkpoint")
        try:
            since_checkpoint = parse_checkpoint(data.decode("utf-8"))
        except (UnicodeDecodeError, VerificationFailure) as exc:
            raise UsageError(f"--since {since}: not a checkpoint ({exc})") from exc
    if out.exists() or out.is_symlink():
        raise UsageError(f"{out}: already exists; a kit is written to a new path")
    with Ledger.open(resolve_ledger(ledger, state), create=False) as opened:
        if out.name.endswith(ARCHIVE_SUFFIX):
            with tempfile.TemporaryDirectory(prefix="provenance-kit-") as scratch:
                folder = Path(scratch) / out.name.removesuffix(ARCHIVE_SUFFIX)
                result = export_kit(state, opened, segment=segment, key=key, out=folder,
                                    since=since_checkpoint, now=clock())  # fmt: skip
                _write_tar(folder, out)
            return ExportedKit(out, result.segment, result.first_size, result.size,
                               result.admissions, result.artifacts)  # fmt: skip
        return export_kit(state, opened, segment=segment, key=key, out=out,
                          since=since_checkpoint, now=clock())  # fmt: skip


def _write_tar(folder: Path, out: Path) -> None:
    try:
        with (
            out.open("xb") as handle,
            tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    except FileExistsError as exc:
        raise UsageError(f"{out}: already exists; a kit is written to a new path") from exc
    except BaseException:
        out.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class KitImportResult:
    """What was installed, or why the kit was refused (nothing installed)."""

    imported: ImportedKit | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.imported is not None


def kit_import(
    kit: Path,
    *,
    state_dir: Path | None = None,
    ledger: str | None = None,
    site_keys: Sequence[Path] = (),
    policy: Path | None = None,
    clock: Clock = utc_now,
) -> KitImportResult:
    """Verify KIT offline against the central site's public keys and install it; a kit that
    does not verify is a result (`problem`), nothing installed."""
    try:
        return KitImportResult(
            _import(kit, state_dir=state_dir, ledger=ledger, site_keys=site_keys, policy=policy,
                    clock=clock)
        )  # fmt: skip
    except VerificationFailure as refused:
        return KitImportResult(None, str(refused))


def _import(
    kit: Path,
    *,
    state_dir: Path | None,
    ledger: str | None,
    site_keys: Sequence[Path],
    policy: Path | None,
    clock: Clock,
) -> ImportedKit:
    keys = _trusted_keys(site_keys, policy)
    state = StateDir.open(resolve_state_dir(state_dir), create=True)
    if not kit.exists():
        raise UsageError(f"{kit}: no such kit (expected a kit directory or a .tar archive)")
    with Ledger.open(resolve_ledger(ledger, state), create=True) as opened:
        if kit.is_dir():
            return import_kit(state, opened, kit, keys=keys, now=clock())
        with tempfile.TemporaryDirectory(prefix="provenance-kit-") as scratch:
            folder = Path(scratch) / "kit"
            folder.mkdir(mode=0o700)
            try:
                extract_archive(kit, folder, where=str(kit), budget=Budget(Limits()))
            except DeliveryRefused as refused:
                raise KitRefused(str(refused)) from refused
            try:
                return import_kit(state, opened, folder, keys=keys, now=clock())
            finally:
                shutil.rmtree(folder, ignore_errors=True)


def _trusted_keys(site_keys: Sequence[Path], policy: Path | None) -> list[PublicKeySigner]:
    keys = [load_public_key(path) for path in site_keys]
    if not keys and policy is not None:
        from provenance.policy import load_policy  # noqa: PLC0415

        key = load_policy(policy).site_vsa_key
        keys = [key] if key is not None else []
    if not keys:
        raise UsageError(
            "kit import trusts only the central site's public keys given to it: give --site-key "
            "PUB (repeatable) or a --policy whose site.vsa_key names it (the key inside a kit "
            "is never trusted)"
        )
    return keys
