"""`provenance keys generate`: a site or staff signing key pair."""

from __future__ import annotations

from pathlib import Path

from provenance.signing.keys import KeyType, SigningKey, generate_key

__all__ = ["generate"]


def generate(path: Path, *, key_type: KeyType = "ed25519", force: bool = False) -> SigningKey:
    """Write PATH (private, mode 0600) and PATH.pub; never overwrite unless `force`."""
    return generate_key(path, key_type, force=force)
