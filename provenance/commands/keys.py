"""`provenance keys generate`: a site or staff signing key pair."""

from __future__ import annotations

from pathlib import Path

from provenance.errors import InputError
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
    """Write PATH (private, mode 0600) and PATH.pub, making PATH's folder if it is missing;
    never overwrite unless `force`. With
    `encrypt`, the private key is encrypted under a passphrase from the environment or a
    prompt (`passphrase_from_environment`)."""
    passphrase = passphrase_from_environment(str(path), confirm=True) if encrypt else None
    if path.parent.exists() and not path.parent.is_dir():
        raise InputError(f"{path.parent}: not a folder; expected one to hold the key")
    if not path.parent.is_dir():
        # A missing folder is made, private (0700): it is about to hold a private key.
        try:
            path.parent.mkdir(parents=True, mode=0o700)
        except OSError as exc:
            raise InputError(f"{path.parent}: cannot create: {exc.strerror or exc}") from exc
    return generate_key(path, key_type, force=force, passphrase=passphrase)
