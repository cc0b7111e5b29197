"""Trust roots by the names policies and flags use, including `imported:<repository>`: the
newest trust root `provenance trust import` verified into the state directory."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from provenance.clock import utc_now
from provenance.errors import TrustRootError
from provenance.verification.sigstore.trust_root import (
    SigstoreTrustRoot,
    load_trust_root,
    parse_trust_root,
)

__all__ = ["IMPORTED_PREFIX", "load_named_trust_root"]

IMPORTED_PREFIX = "imported:"


def load_named_trust_root(
    reference: str, *, state_dir: Path | None = None, now: datetime | None = None
) -> SigstoreTrustRoot:
    """`embedded:*`, a path, or `imported:<repository>` from the state directory
    (`--state-dir`, else `$PROVENANCE_STATE_DIR`, else the default). An imported root is
    re-verified through its TUF metadata every time it is read (`trust_store`)."""
    if not reference.startswith(IMPORTED_PREFIX):
        return load_trust_root(reference)
    # Imported here: only an imported root reads the state directory and TUF metadata;
    # `verify` with an embedded or file root loads neither (tests/test_import_budgets.py).
    from provenance.record.state import resolve_state_dir  # noqa: PLC0415
    from provenance.record.trust_store import newest_import  # noqa: PLC0415
    from provenance.verification.sigstore.tuf_snapshot import TufRefused  # noqa: PLC0415

    repository = reference.removeprefix(IMPORTED_PREFIX)
    root = resolve_state_dir(state_dir)
    try:
        stored = newest_import(root, repository, now=now or utc_now())
    except TufRefused as exc:
        # The disk is not trusted either: a stored import that no longer verifies was changed
        # after it was imported. Nothing falls back to an older root.
        raise TrustRootError(
            f"{reference}: the newest import in {root} no longer verifies ({exc}); expected the "
            "files `trust import` wrote: import the snapshot again"
        ) from exc
    if stored is None:
        raise TrustRootError(
            f"{reference}: no trust root imported into {root} yet; expected one verified by "
            f"`provenance trust import DIR --repository {repository}`"
        )
    # Named as the policy names it: keyless signers are bound to their root by that name.
    return parse_trust_root(stored.verified.trusted_root, reference)
