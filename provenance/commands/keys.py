"""`provenance keys generate`: a site or staff signing key pair."""

from __future__ import annotations

from pathlib import Path

from provenance.signing.keys import (
    KeyType,
    SigningKey,
    generate_key,
    passphrase_from_environment,
)

__all__ = ["generate"]


def generate(
    path: Path, *, key_type: KeyType = "ed25519", force: bool = False, encrypt: bool = False
) -> SigningKey:
    """Write PATH (private, mode 0600) and PATH.pub; never overwrite unless `force`. With
    `encrypt`, the private key is encrypted under a passphrase from the environment or a
    prompt (`passphrase_from_environment`)."""
    passphrase = passphrase_from_environment(str(path), confirm=True) if encrypt else None
    return generate_key(path, key_type, force=force, passphrase=passphrase)
