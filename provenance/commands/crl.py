"""`provenance crl import`: keep CRL files in the state directory (`record.crl_store`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from provenance.record.crl_store import ImportedCrl, import_crls
from provenance.record.state import StateDir, resolve_state_dir

__all__ = ["import_crl_files"]


def import_crl_files(files: Sequence[Path], *, state_dir: Path | None) -> list[ImportedCrl]:
    """Parse and keep each CRL; `InputError` for one that is not a CRL (nothing is kept
    then), `VerificationFailure` for one older than a CRL already kept for its issuer."""
    state = StateDir.open(resolve_state_dir(state_dir), create=True)
    return import_crls(state, files)
