"""Signing and verifying signed notes (checkpoints) with the site's Ed25519 or P-256 key.

The key hint, the 4 bytes before each signature, is computed as C2SP signed-note assigns it,
so that existing note verifiers pick the right key:

- Ed25519 (signature type 0x01): SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4];
  the signature is Ed25519 over the note text.
- ECDSA P-256 (signature type 0x02, as transparency-dev witnesses and Rekor's checkpoints
  do): SHA-256(DER SubjectPublicKeyInfo)[:4], the first four bytes of the key's
  "sha256:" key id; the signature is ASN.1 DER ECDSA with SHA-256 over the note text.

The site key is either kind (`provenance keys generate --type`); its key name in the note is the
log's origin, as tlog-checkpoint recommends. Verification follows signed-note's rule: a
signature by a known key (name and hint both match) must verify; unknown ones are ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from provenance.errors import VerificationFailure
from provenance.transparency.checkpoint import Checkpoint, signature_line
from provenance.verification.signatures import verify_signature
from provenance.verification.signers import PublicKeySigner, VerifyingKey

__all__ = ["NoteSigner", "note_key_hint", "sign_note", "verify_note"]

_ED25519_TYPE = b"\x01"
_CHECK = "checkpoint"


class NoteSigner(Protocol):
    """A private key that signs notes (`provenance.signing.keys.SigningKey` is one)."""

    @property
    def public(self) -> VerifyingKey: ...

    def sign(self, data: bytes) -> bytes: ...


def note_key_hint(key: VerifyingKey, key_name: str) -> bytes | None:
    """The 4-byte key hint of `key` under `key_name`; None for a kind notes do not use."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(key_name.encode() + b"\n" + _ED25519_TYPE + raw).digest()[:4]
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        der = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(der).digest()[:4]
    return None


def sign_note(body: str, key_name: str, signer: NoteSigner) -> str:
    """`body` (ending in a newline) signed by `signer` under `key_name`, as a signed note."""
    hint = note_key_hint(signer.public, key_name)
    if hint is None:
        raise ValueError(f"a note is signed with an Ed25519 or P-256 key, got {signer.public}")
    return body + "\n" + signature_line(key_name, hint, signer.sign(body.encode()))


def verify_note(checkpoint: Checkpoint, keys: Sequence[PublicKeySigner]) -> PublicKeySigner:
    """The key among `keys` whose signature, under the checkpoint's origin as key name, verifies.

    1. For each key, its hint under the origin; signatures with another name or hint are
       someone else's (witness cosignatures, other logs) and are ignored.
    2. A matching signature must verify; if one does not, the note is refused whatever else
       it carries (signed-note: "clients SHOULD reject the whole note").
    3. At least one must match: a note no trusted key signed is refused.
    """
    verified: PublicKeySigner | None = None
    for key in keys:
        hint = note_key_hint(key.key, checkpoint.origin)
        if hint is None:
            continue
        algorithm = None if isinstance(key.key, ed25519.Ed25519PublicKey) else hashes.SHA256()
        for name, key_hint, signature in checkpoint.signatures:
            if name != checkpoint.origin or key_hint != hint:
                continue
            if not verify_signature(key.key, signature, checkpoint.body, algorithm=algorithm):
                raise VerificationFailure(
                    f"checkpoint of {checkpoint.origin} at size {checkpoint.size}: the signature "
                    f"by key {key.key_id} does not verify (the checkpoint was altered)",
                    check=_CHECK,
                )
            verified = verified or key
    if verified is None:
        hints = ", ".join(f"{name} {hint.hex()}" for name, hint, _ in checkpoint.signatures)
        raise VerificationFailure(
            f"checkpoint of {checkpoint.origin} at size {checkpoint.size}: expected a signature "
            f"by the site key ({', '.join(key.key_id for key in keys) or 'none given'}), got "
            f"signatures by {hints}",
            check=_CHECK,
        )
    return verified
