"""Site and staff signing keys: generated here, stored as PEM, never silently overwritten;
or held in a token or HSM and named by a PKCS#11 URI (`pkcs11_keys`).

Private keys are written with mode 0600 and `O_EXCL` (an existing file is an error unless the
caller forces a replacement, which goes through a temporary file and an atomic rename). With
`encrypt`, the PEM is PKCS#8 encrypted under a passphrase (the best encryption `cryptography`
offers: AES-256-CBC, PBKDF2 or scrypt). The passphrase comes from `$PROVENANCE_KEY_PASSPHRASE`
or a prompt on a terminal, never a flag: a stolen laptop or backup holding the file must not
be enough to mint admissions.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from provenance.errors import InputError, UsageError
from provenance.inputs.files import read_bounded
from provenance.verification.signers import VerifyingKey, key_id_of

__all__ = [
    "PASSPHRASE_ENV",
    "KeyType",
    "SigningKey",
    "generate_key",
    "is_encrypted_pem",
    "load_signing_key",
    "passphrase_from_environment",
]

KeyType = Literal["ed25519", "p256"]
MAX_PRIVATE_KEY_BYTES = 64 * 1024
PASSPHRASE_ENV = "PROVENANCE_KEY_PASSPHRASE"  # noqa: S105 (a variable's name, not a secret)
MIN_PASSPHRASE_CHARS = 8


class HardwareKey(Protocol):
    """A private key that signs elsewhere (`pkcs11_keys.TokenKey`)."""

    def public_key(self) -> ec.EllipticCurvePublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class SigningKey:
    private: PrivateKey | HardwareKey
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
        if isinstance(self.private, ec.EllipticCurvePrivateKey):
            return self.private.sign(data, ec.ECDSA(hashes.SHA256()))
        # A token key signs with ECDSA P-256 over SHA-256 too, DER-encoded alike.
        return self.private.sign(data)


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


def passphrase_from_environment(what: str, *, confirm: bool = False) -> bytes:
    """`$PROVENANCE_KEY_PASSPHRASE`, else a prompt on a terminal (twice with `confirm`);
    `InputError` if neither is available."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given.encode("utf-8")
    if sys.stdin is None or not sys.stdin.isatty():
        raise InputError(
            f"{what}: needs a passphrase: set ${PASSPHRASE_ENV} or run on a terminal to be asked"
        )
    typed = getpass.getpass(f"Passphrase for {what}: ")
    if confirm and getpass.getpass("Again: ") != typed:
        raise UsageError(f"{what}: the passphrases differ")
    return typed.encode("utf-8")


def is_encrypted_pem(data: bytes) -> bool:
    """PKCS#8 `ENCRYPTED PRIVATE KEY`, or a traditional PEM with `Proc-Type: 4,ENCRYPTED`."""
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data or b"Proc-Type: 4,ENCRYPTED" in data


def generate_key(
    path: Path, key_type: KeyType, *, force: bool = False, passphrase: bytes | None = None
) -> SigningKey:
    """Write PATH (private, 0600; encrypted under `passphrase` if given) and PATH.pub
    (public); return the key."""
    if passphrase is not None and len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise UsageError(
            f"{path}: expected a passphrase of at least {MIN_PASSPHRASE_CHARS} characters"
        )
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
        serialization.BestAvailableEncryption(passphrase)
        if passphrase is not None
        else serialization.NoEncryption(),
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


def load_signing_key(path: Path | str) -> SigningKey:
    """A PEM PKCS#8 Ed25519 or P-256 private key (encrypted: the passphrase from
    `$PROVENANCE_KEY_PASSPHRASE` or a prompt), or a P-256 key in a token named by a PKCS#11
    URI (`pkcs11_keys`)."""
    from provenance.signing.pkcs11_keys import is_pkcs11_uri, open_token_key  # noqa: PLC0415

    if is_pkcs11_uri(path):
        return SigningKey(private=open_token_key(str(path)), source=str(path))
    path = Path(path)
    data = read_bounded(path, MAX_PRIVATE_KEY_BYTES, "private key")
    if data is None:
        raise InputError(f"{path}: larger than {MAX_PRIVATE_KEY_BYTES} bytes; not a key")
    password = passphrase_from_environment(str(path)) if is_encrypted_pem(data) else None
    try:
        private = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        if password is not None:
            raise InputError(
                f"{path}: cannot decrypt the private key: wrong passphrase, or not a key"
            ) from exc
        raise InputError(f"{path}: not a PEM private key ({exc})") from exc
    if isinstance(private, ed25519.Ed25519PrivateKey) or (
        isinstance(private, ec.EllipticCurvePrivateKey) and isinstance(private.curve, ec.SECP256R1)
    ):
        return SigningKey(private=private, source=str(path))
    raise InputError(
        f"{path}: expected an Ed25519 or P-256 private key, got {type(private).__name__}"
    )
