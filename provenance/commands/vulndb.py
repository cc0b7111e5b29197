"""`provenance vulndb import|status|sync --online`: library calls and their renderings.

Exit codes (the CLI's): 0 all done; 1 import finished but refused some documents (reported,
the rest committed); 2 could not run (unreadable path, database corrupt, newer or unwritable,
download failed) and nothing was imported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from provenance.clock import Clock, utc_now
from provenance.policy import load_policy
from provenance.record.state import StateDir, resolve_state_dir
from provenance.vulnerabilities.database import DatabaseStatus, open_database
from provenance.vulnerabilities.importer import ImportResult, import_paths
from provenance.vulnerabilities.sync import (
    DEFAULT_ECOSYSTEMS,
    OSV_EXPORT_BASE,
    SyncResult,
    sync_online,
)

__all__ = [
    "SCHEMA_VERSION",
    "StatusResult",
    "render_import_json",
    "render_import_text",
    "render_status_json",
    "render_status_text",
    "render_sync_json",
    "render_sync_text",
    "vulndb_import",
    "vulndb_status",
    "vulndb_sync",
]

SCHEMA_VERSION = 1
SCHEMA = "urn:ot-provenance:schema:vulndb:v1"  # import, status and sync


@dataclass(frozen=True)
class StatusResult:
    status: DatabaseStatus
    now: datetime


def vulndb_import(
    paths: Sequence[Path],
    *,
    state_dir: Path | None = None,
    policy_path: Path | None = None,
    allow_unsigned: bool = False,
    clock: Clock = utc_now,
) -> ImportResult:
    """Import; CSAF publishers pinned in the policy's `trust.advisories` must have signed
    their documents (`advisory_signatures`)."""
    publishers = load_policy(policy_path).advisory_publishers if policy_path else ()
    state = StateDir.open(resolve_state_dir(state_dir), create=True)
    return import_paths(
        paths,
        state_dir=state.root,
        now=clock(),
        publishers=publishers,
        allow_unsigned=allow_unsigned,
    )


def vulndb_status(*, state_dir: Path | None = None, clock: Clock = utc_now) -> StatusResult:
    now = clock()
    with open_database(resolve_state_dir(state_dir), now=now) as db:
        return StatusResult(db.status(), now)


def vulndb_sync(
    *,
    state_dir: Path | None = None,
    ecosystems: Sequence[str] = DEFAULT_ECOSYSTEMS,
    base_url: str = OSV_EXPORT_BASE,
    clock: Clock = utc_now,
) -> SyncResult:
    state = StateDir.open(resolve_state_dir(state_dir), create=True)
    return sync_online(state.root, now=clock(), ecosystems=ecosystems, base_url=base_url)


# -- rendering ----------------------------------------------------------------------------


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def _import_json(result: ImportResult) -> dict[str, Any]:
    return {
        "database": str(result.database),
        "sources": [
            {
                "location": s.location,
                "counts": s.counts,
                "newest_data": s.newest_data,
                "digest": s.digest,
                "verification": s.verification,
            }
            for s in result.sources
        ],
        "refused": [{"location": r.location, "reason": r.reason} for r in result.refused],
        "notes": list(result.notes),
    }


def render_import_json(result: ImportResult) -> str:
    return _dump(
        {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "import": _import_json(result)}
    )


_KINDS = {"osv": "OSV records", "kev": "KEV entries", "csaf": "CSAF advisories"}


def _counts_text(counts: dict[str, int]) -> str:
    """`{"csaf:added": 3, "skipped": 9}` in words: what was added, and what the skipped are."""
    parts = []
    for kind, what in _KINDS.items():
        states = sorted((k.split(":", 1)[1], n) for k, n in counts.items() if k.startswith(kind))
        if states:
            parts.append(f"{what} {', '.join(f'{n} {state}' for state, n in states)}")
    if counts.get("skipped"):
        parts.append(
            f"{counts['skipped']} other files skipped (not OSV, KEV or CSAF JSON: "
            "signatures, checksums, READMEs, other documents)"
        )
    if counts.get("refused"):
        parts.append(f"{counts['refused']} refused (below)")
    return "; ".join(parts) or "nothing"


def render_import_text(result: ImportResult) -> str:
    lines = [f"database: {result.database}"]
    for source in result.sources:
        lines.append(f"{source.location}: {_counts_text(source.counts)}")
        lines.append(f"  verified: {verification_text(source.verification)}")
        lines.append(f"  digest: sha256:{source.digest}")
    lines.extend(f"refused: {r.location}: {r.reason}" for r in result.refused)
    lines.extend(f"note: {note}" for note in result.notes)
    return "\n".join(lines) + "\n"


def import_verdict(result: ImportResult) -> str:
    added = sum(v for s in result.sources for k, v in s.counts.items() if k.endswith(":added"))
    updated = sum(v for s in result.sources for k, v in s.counts.items() if k.endswith(":updated"))
    if result.refused:
        return (
            f"FAIL: vulndb import: {len(result.refused)} document(s) refused (see above); "
            f"{added} added, {updated} updated from the rest"
        )
    return f"OK: vulndb import: {added} added, {updated} updated"


def verification_text(verification: dict[str, Any]) -> str:
    """How a source's documents were vouched for, in words."""
    parts = []
    signed = verification.get("signed", 0)
    if signed:
        keys = ", ".join(f"0x{key}" for key in verification.get("keys", ()))
        parts.append(f"{signed} CSAF signed by a pinned publisher key ({keys})")
    if verification.get("hash-only"):
        parts.append(f"{verification['hash-only']} CSAF by .sha512 only (no key pinned)")
    if verification.get("unverified"):
        parts.append(f"{verification['unverified']} CSAF unverified (--allow-unsigned)")
    if verification.get("not-signed"):
        parts.append(f"{verification['not-signed']} OSV/KEV (formats without signatures)")
    return "; ".join(parts) or "nothing imported"


def _age_text(age: timedelta | None) -> str:
    if age is None:
        return "no data"
    return f"{age.days} days" if age.days else f"{int(age.total_seconds() // 3600)} hours"


def render_status_text(result: StatusResult) -> str:
    status = result.status
    lines = [
        f"database: {status.path} (schema {status.schema_version})",
        f"OSV records: {status.records} ({status.withdrawn} withdrawn)",
    ]
    lines.extend(
        f"  {ecosystem}: {count}" for ecosystem, count in status.records_per_ecosystem.items()
    )
    lines.append(f"KEV entries: {status.kev_entries}")
    lines.append(f"CSAF documents: {status.csaf_documents}")
    newest = status.newest_data.isoformat() if status.newest_data else "none"
    lines.append(f"newest data: {newest} (age {_age_text(status.age)})")
    lines.append(f"snapshot: {status.snapshot or 'unrecorded (a source predates digests)'}")
    lines.append("sources:")
    for s in status.sources:
        lines.append(
            f"  {s.imported_at.isoformat()} {s.kind} {s.location}: added {s.added}, updated "
            f"{s.updated}, unchanged {s.unchanged}, older {s.older}, refused {s.refused}"
        )
        verified = verification_text(s.verification) if s.digest else "not recorded"
        lines.append(f"    verified: {verified}")
    return "\n".join(lines) + "\n"


def render_status_json(result: StatusResult) -> str:
    status = result.status
    return _dump(
        {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "status": {
                "database": str(status.path),
                "database_schema_version": status.schema_version,
                "records": status.records,
                "withdrawn": status.withdrawn,
                "records_per_ecosystem": status.records_per_ecosystem,
                "kev_entries": status.kev_entries,
                "csaf_documents": status.csaf_documents,
                "newest_data": status.newest_data.isoformat() if status.newest_data else None,
                "age_seconds": int(status.age.total_seconds()) if status.age else None,
                "snapshot": status.snapshot,
                "sources": [
                    {
                        "kind": s.kind,
                        "location": s.location,
                        "imported_at": s.imported_at.isoformat(),
                        "newest_data": s.newest_data.isoformat() if s.newest_data else None,
                        "added": s.added,
                        "updated": s.updated,
                        "unchanged": s.unchanged,
                        "older": s.older,
                        "refused": s.refused,
                        "digest": s.digest,
                        "verification": s.verification,
                    }
                    for s in status.sources
                ],
            },
        }
    )


def render_sync_text(result: SyncResult) -> str:
    lines = [
        f"downloaded {d.ecosystem}: {d.url} -> {d.path} ({d.size} bytes, {d.attempts} "
        f"attempt(s){', resumed' if d.resumed else ''}, {d.checksum})"
        for d in result.downloads
    ]
    return "\n".join(lines) + "\n" + render_import_text(result.imported)


def render_sync_json(result: SyncResult) -> str:
    return _dump(
        {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "downloads": [
                {
                    "ecosystem": d.ecosystem,
                    "url": d.url,
                    "path": str(d.path),
                    "size": d.size,
                    "attempts": d.attempts,
                    "resumed": d.resumed,
                    "checksum": d.checksum,
                }
                for d in result.downloads
            ],
            "import": _import_json(result.imported),
        }
    )
