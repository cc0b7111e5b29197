"""`provenance audit verify | export`: the evidence an auditor asks for, and its integrity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from provenance.record import (
    ConsistencyReport,
    Ledger,
    StateDir,
    check_consistency,
    export_csv,
    export_json,
    resolve_state_dir,
    verify_audit_chain,
)
from provenance.record.audit_keys import key_signature_check
from provenance.verification.signers import load_public_key

__all__ = ["audit_export", "audit_verify"]

SITE_PUBLIC_KEY_FILE = "site.key.pub"  # beside the default site key


def _site_public_keys(state: StateDir, explicit: Sequence[Path]) -> list[Path]:
    if explicit:
        return list(explicit)
    default = state.root / SITE_PUBLIC_KEY_FILE
    return [default] if default.is_file() else []


def audit_verify(
    *, state_dir: Path | None = None, site_keys: Sequence[Path] = (), hash_store_files: bool = True
) -> tuple[ConsistencyReport, list[Path]]:
    """Check the audit chain (and its signatures, with the site's public keys when known),
    and the ledger against the approved store. Returns the report and the keys used."""
    state = StateDir.open(resolve_state_dir(state_dir), create=False)
    keys = _site_public_keys(state, site_keys)
    check = key_signature_check([load_public_key(path) for path in keys]) if keys else None
    with Ledger.open(state.ledger_path, create=False) as ledger:
        report = check_consistency(
            state, ledger, verify_signature=check, hash_store_files=hash_store_files
        )
    return report, keys


def audit_export(
    *,
    state_dir: Path | None = None,
    since: datetime | None = None,
    output_format: Literal["json", "csv"] = "json",
) -> str:
    """The records since a date; JSON also carries the whole chain's check result."""
    state = StateDir.open(resolve_state_dir(state_dir), create=False)
    with Ledger.open(state.ledger_path, create=False) as ledger, ledger.snapshot():
        records = list(ledger.audit_records(since=since))
        if output_format == "csv":
            return export_csv(records)
        verification = verify_audit_chain(ledger.audit_records())
    return export_json(records, verification)
