"""Who may sign: the signer rules that verification holds evidence to.

A rule comes from command-line flags or from a policy's `vendors.<name>.signers`. Verification
never decides who is trusted; it only checks evidence against these rules.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from provenance.errors import InputError
from provenance.inputs.files import read_bounded
from provenance.verification.matching import Pattern

if TYPE_CHECKING:
    # Types only: a Sigstore or key signer must not load the OpenPGP or X.509 verifiers
    # (`verify`'s start-up budget, tests/test_import_budgets.py), nor `check` the Fulcio
    # claims a PyPI trusted publisher rule reads.
    from provenance.verification.openpgp import OpenPgpSigner
    from provenance.verification.trusted_publishers import TrustedPublisher
    from provenance.verification.x509.signer import X509Signer

__all__ = [
    "KeyThreshold",
    "PublicKeySigner",
    "SignerRule",
    "SigstoreIdentity",
    "key_id_of",
    "load_public_key",
]

# A PEM public key is well under this; anything larger is not a key.
MAX_KEY_FILE_BYTES = 64 * 1024

VerifyingKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey


@dataclass(frozen=True)
class SigstoreIdentity:
    """A keyless signer: the certificate's identity (SAN) and its OIDC issuer."""

    identity: Pattern
    issuer: Pattern
    # The trust root allowed to vouch for this identity (its name, as loaded); None: any root
    # the caller verifies against (a command line names exactly one).
    trust_root: str | None = None

    def describe(self) -> str:
        return f"identity {self.identity} from issuer {self.issuer}"

    def vouched_by(self, trust_root: str) -> bool:
        return self.trust_root is None or self.trust_root == trust_root


@dataclass(frozen=True)
class PublicKeySigner:
    """A managed key: signatures must verify under this public key."""

    key: VerifyingKey
    source: str
    key_id: str  # "sha256:" + hex of the DER SubjectPublicKeyInfo

    def describe(self) -> str:
        return f"key {self.source} ({self.key_id})"


@dataclass(frozen=True)
class KeyThreshold:
    """Several keys, of which `threshold` distinct ones must have signed (DSSE envelopes).

    A key counts once however many signatures it made: a threshold is about people or
    machines, not about signature entries.
    """

    keys: tuple[PublicKeySigner, ...]
    threshold: int

    def describe(self) -> str:
        sources = ", ".join(key.source for key in self.keys)
        return f"{self.threshold} of {len(self.keys)} keys ({sources})"


# A string, so that the alias names the OpenPGP and X.509 rules without importing them; it is
# used in annotations only.
SignerRule: TypeAlias = (
    "SigstoreIdentity | TrustedPublisher | PublicKeySigner | KeyThreshold | OpenPgpSigner"
    " | X509Signer"
)


def key_id_of(key: VerifyingKey) -> str:
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def parse_public_key(data: bytes, source: str) -> PublicKeySigner:
    """Parse a PEM SubjectPublicKeyInfo; only ECDSA, RSA and Ed25519 keys are accepted."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{source}: not a PEM public key ({exc})") from exc
    if not isinstance(key, VerifyingKey):
        raise InputError(
            f"{source}: expected an ECDSA, RSA or Ed25519 public key, got {type(key).__name__}"
        )
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        raise InputError(f"{source}: expected an RSA key of at least 2048 bits, got {key.key_size}")
    return PublicKeySigner(key=key, source=source, key_id=key_id_of(key))


def load_public_key(path: Path) -> PublicKeySigner:
    """Read a PEM public key file; raises `InputError` if it is missing or not a key."""
    data = read_bounded(path, MAX_KEY_FILE_BYTES, "key")
    if data is None:
        raise InputError(f"{path}: larger than {MAX_KEY_FILE_BYTES} bytes; not a public key")
    return parse_public_key(data, str(path))
