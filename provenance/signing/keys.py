"""Site and staff signing keys: generated here, stored as PEM, never silently overwritten.

Private keys are written with mode 0600 and `O_EXCL` (an existing file is an error unless the
caller forces a replacement, which goes through a temporary file and an atomic rename).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from provenance.errors import InputError, UsageError
from provenance.inputs.files import read_bounded
from provenance.verification.signers import VerifyingKey, key_id_of

__all__ = ["KeyType", "SigningKey", "generate_key", "load_signing_key"]

KeyType = Literal["ed25519", "p256"]
MAX_PRIVATE_KEY_BYTES = 64 * 1024
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class SigningKey:
    private: PrivateKey
    source: str

    @property
    def public(self) -> VerifyingKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public)

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.private, ed25519.Ed25519PrivateKey):
            return self.private.sign(data)
        return self.private.sign(data, ec.ECDSA(hashes.SHA256()))


def _write_private(path: Path, data: bytes, *, force: bool) -> None:
    if not force:
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise UsageError(
                f"{path}: already exists; refusing to overwrite a key (use --force to replace it)"
            ) from exc
        except OSError as exc:
            raise InputError(f"{path}: cannot create key file: {exc.strerror or exc}") from exc
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write key file: {exc.strerror or exc}") from exc


def generate_key(path: Path, key_type: KeyType, *, force: bool = False) -> SigningKey:
    """Write PATH (private, 0600) and PATH.pub (public); return the key."""
    public_path = path.with_name(path.name + ".pub")
    for existing in (path, public_path):
        if not force and existing.exists():
            raise UsageError(
                f"{existing}: already exists; refusing to overwrite a key (use --force to "
                "replace it)"
            )
    private: PrivateKey = (
        ed25519.Ed25519PrivateKey.generate()
        if key_type == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(path, pem, force=force)
    try:
        public_path.write_bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    except OSError as exc:
        raise InputError(f"{public_path}: cannot write: {exc.strerror or exc}") from exc
    return SigningKey(private=private, source=str(path))


def load_signing_key(path: Path) -> SigningKey:
    """A PEM PKCS#8 Ed25519 or P-256 private key, unencrypted (protect it with file mode)."""
    data = read_bounded(path, MAX_PRIVATE_KEY_BYTES, "private key")
    if data is None:
        raise InputError(f"{path}: larger than {MAX_PRIVATE_KEY_BYTES} bytes; not a key")
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: not an unencrypted PEM private key ({exc})") from exc
    if isinstance(private, ed25519.Ed25519PrivateKey) or (
        isinstance(private, ec.EllipticCurvePrivateKey) and isinstance(private.curve, ec.SECP256R1)
    ):
        return SigningKey(private=private, source=str(path))
    raise InputError(
        f"{path}: expected an Ed25519 or P-256 private key, got {type(private).__name__}"
    )
