"""`provenance trust import|status|fetch --online`: Sigstore trust roots carried in as TUF
repository snapshots, verified from the last trusted root, installed versioned, recorded.

`trust_import`, in order:
1. Everything that can make the command unable to run, before any state changes: the policy
   (its `trust.tuf.max_staleness_days`), the state directory, the site key, the bootstrap
   root (production/staging: the installed sigstore package's; other repositories: the
   `--bootstrap-root` file given at their first import, refused later).
2. The last trusted state: the newest import, re-verified (`trust_store.newest_import`); its
   final root is where this import starts and its versions the rollback baseline.
3. Verify the directory (`tuf_snapshot.verify_tuf_snapshot`). The same timestamp version and
   the same trusted_root.json as the newest import: nothing new, nothing written.
4. Install it as the next import, then append a "trust-import" record to the signed audit log
   (the trusted_root.json's SHA-256 as the artifact; the TUF versions, the source, and any
   staleness the policy allowed in its details).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from provenance.clock import Clock, utc_now
from provenance.errors import UsageError
from provenance.policy import load_policy
from provenance.record import AuditEvent, Ledger, PolicyRef, StateDir, resolve_state_dir
from provenance.record.trust_store import (
    StoredImport,
    bootstrap_root,
    check_repository_name,
    import_numbers,
    install_import,
    newest_import,
    repositories,
)
from provenance.verification.sigstore.trust_root import EMBEDDED_ROOTS, parse_trust_root
from provenance.verification.sigstore.tuf_snapshot import (
    MAX_METADATA_BYTES,
    VerifiedSnapshot,
    verify_tuf_snapshot,
)

__all__ = ["RootStatus", "TrustImportResult", "trust_import", "trust_status"]


@dataclass(frozen=True)
class TrustImportResult:
    repository: str
    number: int | None  # the new import's number; None: already imported, nothing written
    verified: VerifiedSnapshot
    source: str
    max_staleness_days: int | None


def trust_import(
    directory: Path,
    *,
    repository: str = "production",
    state_dir: Path | None = None,
    policy_path: Path | None = None,
    bootstrap: Path | None = None,
    site_key: Path | None = None,
    clock: Clock = utc_now,
) -> TrustImportResult:
    from provenance.commands.admit import load_site_key, site_key_path  # noqa: PLC0415

    # 1.
    check_repository_name(repository)
    policy = load_policy(policy_path) if policy_path is not None else None
    days = policy.tuf_max_staleness_days if policy is not None else None
    state = StateDir.open(resolve_state_dir(state_dir), create=True)
    key = load_site_key(site_key_path(site_key, state.root))
    start = _bootstrap(state.root, repository, bootstrap)
    # 2.
    now = clock()
    previous = newest_import(state.root, repository, now=now)
    trusted = previous.verified.root_bytes if previous is not None else start
    baseline = previous.verified.baseline() if previous is not None else None
    # 3.
    verified = verify_tuf_snapshot(
        directory,
        trusted_root=trusted,
        baseline=baseline,
        now=now,
        max_staleness=timedelta(days=days) if days is not None else None,
    )
    if previous is not None and _same(previous.verified, verified):
        return TrustImportResult(repository, None, verified, str(directory), days)
    # 4.
    record = {
        "source": str(directory.absolute()),
        "imported_at": now.isoformat(),
        "stale_by_days": verified.stale_by.days if verified.stale_by is not None else None,
        "max_staleness_days": days,
    }
    number = install_import(
        state, repository, verified, previous=previous, bootstrap=start, record=record
    )
    event = AuditEvent(
        kind="trust-import",
        at=now,
        artifact_name=f"sigstore trusted_root.json ({repository}, import {number})",
        artifact_sha256=verified.trusted_root_sha256,
        segment=None,
        policy=PolicyRef(str(Path(policy.path).resolve()), policy.sha256) if policy else None,
        details={"repository": repository, **_versions(verified), **record},
    )
    with Ledger.open(state.ledger_path, create=True) as ledger:
        ledger.sign_checkpoint(key)
        with ledger.transaction() as transaction:
            transaction.append_audit(event, signer=key)
    return TrustImportResult(repository, number, verified, str(directory), days)


def _bootstrap(state_root: Path, repository: str, given: Path | None) -> bytes:
    embedded = f"embedded:{repository}" in EMBEDDED_ROOTS
    existing = bootstrap_root(state_root, repository)
    if given is not None and (embedded or import_numbers(state_root, repository)):
        raise UsageError(
            f"--bootstrap-root: the {repository} repository already starts from "
            + ("the root shipped in the sigstore package" if embedded else "its first import")
            + "; expected none (a later root must be verified from it, not replace it)"
        )
    if given is not None:
        try:
            data = given.read_bytes()[: MAX_METADATA_BYTES + 1]
        except OSError as exc:
            raise UsageError(f"{given}: cannot read: {exc.strerror or exc}") from exc
        return data
    if existing is None:
        raise UsageError(
            f"trust repository {repository!r}: no root to start from; expected production, "
            "staging, or --bootstrap-root with a private instance's TUF root.json"
        )
    return existing


def _same(before: VerifiedSnapshot, after: VerifiedSnapshot) -> bool:
    return (
        before.timestamp.signed.version == after.timestamp.signed.version
        and before.trusted_root_sha256 == after.trusted_root_sha256
    )


def _versions(verified: VerifiedSnapshot) -> dict[str, Any]:
    return {
        "tuf_root_version": verified.root.signed.version,
        "timestamp_version": verified.timestamp.signed.version,
        "snapshot_version": verified.snapshot.signed.version,
        "targets_version": verified.targets.signed.version,
        "timestamp_expires": verified.timestamp.signed.expires.isoformat(),
        "root_expires": verified.root.signed.expires.isoformat(),
    }


# -- status -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RootStatus:
    name: str  # embedded:production, imported:production, ...
    source: str
    tuf_root_version: int | None
    expires: str | None  # the TUF root's expiry (imported: and the timestamp's)
    root_keys: dict[str, tuple[int, tuple[str, ...]]]  # TUF role -> (threshold, key IDs)
    log_ids: tuple[str, ...]  # the trusted_root.json's transparency log IDs (hex)
    detail: dict[str, Any]


def trust_status(*, state_dir: Path | None = None, clock: Clock = utc_now) -> list[RootStatus]:
    from tuf.api.metadata import Metadata, Root  # noqa: PLC0415

    from provenance.verification.sigstore.trust_root import load_trust_root  # noqa: PLC0415

    now = clock()
    root_dir = resolve_state_dir(state_dir)
    found = []
    for name in EMBEDDED_ROOTS:
        repository = name.removeprefix("embedded:")
        tuf = Metadata[Root].from_bytes(bootstrap_root(root_dir, repository) or b"")
        found.append(
            RootStatus(
                name=name,
                source="the installed sigstore package",
                tuf_root_version=tuf.signed.version,
                expires=tuf.signed.expires.isoformat(),
                root_keys=_keys(tuf.signed),
                log_ids=tuple(key.hex() for key in load_trust_root(name).tlogs),
                detail={},
            )
        )
    for repository in repositories(root_dir):
        stored = newest_import(root_dir, repository, now=now)
        if stored is not None:
            found.append(_imported(repository, stored, len(import_numbers(root_dir, repository))))
    return found


def _keys(root: Any) -> dict[str, tuple[int, tuple[str, ...]]]:
    return {
        role: (delegation.threshold, tuple(sorted(delegation.keyids)))
        for role, delegation in sorted(root.roles.items())
    }


def _imported(repository: str, stored: StoredImport, count: int) -> RootStatus:
    verified = stored.verified
    trusted = parse_trust_root(verified.trusted_root, f"imported:{repository}")
    return RootStatus(
        name=f"imported:{repository}",
        source=str(stored.record.get("source", "?")),
        tuf_root_version=verified.root.signed.version,
        expires=verified.root.signed.expires.isoformat(),
        root_keys=_keys(verified.root.signed),
        log_ids=tuple(key.hex() for key in trusted.tlogs),
        detail={
            "import": stored.number,
            "imports": count,
            "imported_at": stored.record.get("imported_at"),
            "trusted_root_sha256": verified.trusted_root_sha256,
            "stale_by_days": stored.record.get("stale_by_days"),
            **_versions(verified),
        },
    )


def render_status_text(roots: list[RootStatus]) -> str:
    lines = []
    for root in roots:
        lines.append(
            f"{root.name}: TUF root v{root.tuf_root_version} from {root.source}, root expires "
            f"{root.expires}"
        )
        if root.detail:
            d = root.detail
            stale = f", imported {d['stale_by_days']} days stale" if d["stale_by_days"] else ""
            lines.append(
                f"  import {d['import']} of {d['imports']} at {d['imported_at']}: timestamp "
                f"v{d['timestamp_version']} (expires {d['timestamp_expires']}), snapshot "
                f"v{d['snapshot_version']}, targets v{d['targets_version']}{stale}"
            )
            lines.append(f"  trusted_root.json sha256:{d['trusted_root_sha256']}")
        for role, (threshold, ids) in root.root_keys.items():
            shown = ", ".join(key[:16] for key in ids)
            lines.append(f"  {role} keys ({threshold} of {len(ids)}): {shown}")
        lines.append(f"  transparency log IDs: {', '.join(i[:16] for i in root.log_ids)}")
    return "\n".join(lines) + "\n"


def render_status_json(roots: list[RootStatus]) -> str:
    return (
        json.dumps(
            {
                "schema_version": 1,
                "roots": [
                    {
                        "name": r.name,
                        "source": r.source,
                        "tuf_root_version": r.tuf_root_version,
                        "expires": r.expires,
                        "root_keys": {
                            role: {"threshold": t, "keyids": list(ids)}
                            for role, (t, ids) in r.root_keys.items()
                        },
                        "log_ids": list(r.log_ids),
                        **r.detail,
                    }
                    for r in roots
                ],
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )


def describe_import(result: TrustImportResult, now: datetime | None = None) -> str:
    verified = result.verified
    versions = (
        f"TUF root v{verified.root.signed.version}, timestamp v{verified.timestamp.signed.version}"
        f", snapshot v{verified.snapshot.signed.version}, targets "
        f"v{verified.targets.signed.version}"
    )
    if result.number is None:
        return f"OK: trust import: {result.source}: already imported ({versions})"
    stale = ""
    if verified.stale_by is not None:
        stale = (
            f"; timestamp expired {verified.stale_by.days} days ago, within the policy's "
            f"max_staleness_days {result.max_staleness_days} (recorded in the audit log)"
        )
    return (
        f"OK: trust import: {result.source}: imported:{result.repository} import "
        f"{result.number} ({versions}; trusted_root.json sha256:"
        f"{verified.trusted_root_sha256[:16]}...){stale}"
    )
