"""Deterministic OpenPGP keys and detached signatures for tests and fixtures. TEST-ONLY.

pysequoia (the verifying library) generates keys from the system RNG and stamps signatures
with the wall clock and a random salt notation, so it cannot make byte-reproducible fixtures.
This module is a minimal v4 packet writer (RFC 4880 / RFC 9580) for Ed25519 keys in the
legacy EdDSA encoding (public-key algorithm 22), which every OpenPGP implementation reads:

- public key packet (tag 6) with a fixed creation time, user ID (tag 13) and a positive
  certification (0x13) carrying key flags and, optionally, a key expiration time;
- an optional signing subkey (tag 14) with its binding (0x18) and the primary key binding
  back-signature (0x19) that makes a signing subkey valid;
- an optional key revocation (0x20);
- detached document signatures (0x00) with any hash algorithm (SHA-1 for negative tests);
- ASCII armor with the CRC24 checksum.

Ed25519 signatures are deterministic, and keys come from `seed` and labels, so the output is a
pure function of the arguments. The tests verify everything written here with pysequoia: the
writer and the verifier are independent implementations checking each other.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

__all__ = [
    "OpenPgpTestKey",
    "armor",
    "derive_openpgp_key",
    "detached_signature",
    "revocation_signature",
    "revoked",
    "sha256sums",
    "signed_sha256sums",
]

# RFC 4880 section 9: algorithm identifiers.
_EDDSA_LEGACY = 22
HASH_IDS = {"MD5": 1, "SHA1": 2, "SHA256": 8, "SHA384": 9, "SHA512": 10, "SHA224": 11}
# OID 1.3.6.1.4.1.11591.15.1 (Ed25519 in the legacy EdDSA encoding), DER body without tag.
_ED25519_OID = bytes.fromhex("2b06010401da470f01")

# Signature types (RFC 4880 section 5.2.1).
SIG_BINARY = 0x00
_SIG_POSITIVE_CERT = 0x13
_SIG_SUBKEY_BINDING = 0x18
_SIG_PRIMARY_BINDING = 0x19
_SIG_KEY_REVOCATION = 0x20

# Key flags (RFC 4880 section 5.2.3.21).
FLAG_CERTIFY = 0x01
FLAG_SIGN = 0x02

_ARMOR_LINE = 64


def _derive_secret(seed: str, *labels: str) -> bytes:
    material = "\x00".join(("provenance-test-openpgp", seed, *labels)).encode()
    return hashlib.sha256(material).digest()


def _timestamp(moment: datetime) -> bytes:
    return struct.pack(">I", int(moment.timestamp()))


def _length(n: int) -> bytes:
    """New-format length octets (also used for subpacket lengths)."""
    if n < 192:
        return bytes([n])
    if n < 8384:
        n -= 192
        return bytes([(n >> 8) + 192, n & 0xFF])
    return b"\xff" + struct.pack(">I", n)


def _packet(tag: int, body: bytes) -> bytes:
    return bytes([0xC0 | tag]) + _length(len(body)) + body


def _mpi(value: bytes) -> bytes:
    stripped = value.lstrip(b"\x00")
    bits = len(stripped) * 8 - (8 - stripped[0].bit_length()) if stripped else 0
    return struct.pack(">H", bits) + stripped


def _subpacket(kind: int, body: bytes) -> bytes:
    return _length(len(body) + 1) + bytes([kind]) + body


@dataclass(frozen=True)
class _KeyMaterial:
    secret: ed25519.Ed25519PrivateKey
    created: datetime

    @property
    def body(self) -> bytes:
        """Public key packet body: version 4, creation time, EdDSA, curve OID, 0x40 || point."""
        point = self.secret.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return (
            b"\x04"
            + _timestamp(self.created)
            + bytes([_EDDSA_LEGACY, len(_ED25519_OID)])
            + _ED25519_OID
            + _mpi(b"\x40" + point)
        )

    @property
    def fingerprint(self) -> bytes:
        """v4 fingerprint: SHA-1 over 0x99, the two-octet length and the key body."""
        body = self.body
        return hashlib.sha1(b"\x99" + struct.pack(">H", len(body)) + body).digest()  # noqa: S324

    @property
    def key_id(self) -> bytes:
        return self.fingerprint[-8:]

    def hashed_key(self) -> bytes:
        body = self.body
        return b"\x99" + struct.pack(">H", len(body)) + body


def _signature_body(
    signer: _KeyMaterial,
    sig_type: int,
    prefix: bytes,
    *,
    created: datetime,
    hash_name: str = "SHA256",
    extra_hashed: bytes = b"",
) -> bytes:
    """A v4 signature packet by `signer` over `prefix` (the data or the key material hashed).

    1. Hashed subpackets: creation time, issuer fingerprint, then the caller's subpackets.
    2. Digest of prefix || the hashed part || trailer (0x04 0xFF, four-octet length).
    3. Legacy EdDSA signs the digest itself; R and S are written as MPIs.
    """
    hashed = (
        _subpacket(2, _timestamp(created))
        + _subpacket(33, b"\x04" + signer.fingerprint)
        + extra_hashed
    )
    head = (
        bytes([4, sig_type, _EDDSA_LEGACY, HASH_IDS[hash_name]])
        + struct.pack(">H", len(hashed))
        + hashed
    )
    digest = hashlib.new(
        hash_name.lower(), prefix + head + b"\x04\xff" + struct.pack(">I", len(head))
    )
    raw = signer.secret.sign(digest.digest())
    unhashed = _subpacket(16, signer.key_id)
    return (
        head
        + struct.pack(">H", len(unhashed))
        + unhashed
        + digest.digest()[:2]
        + _mpi(raw[:32])
        + _mpi(raw[32:])
    )


def _signature(
    signer: _KeyMaterial,
    sig_type: int,
    prefix: bytes,
    *,
    created: datetime,
    hash_name: str = "SHA256",
    extra_hashed: bytes = b"",
) -> bytes:
    body = _signature_body(
        signer, sig_type, prefix, created=created, hash_name=hash_name, extra_hashed=extra_hashed
    )
    return _packet(2, body)


@dataclass(frozen=True)
class OpenPgpTestKey:
    """A test vendor's OpenPGP key: the certificate (public) and what signs documents."""

    primary: _KeyMaterial
    subkey: _KeyMaterial | None
    certificate: bytes  # binary transferable public key

    @property
    def fingerprint(self) -> str:
        """Primary key fingerprint, uppercase hex."""
        return self.primary.fingerprint.hex().upper()

    @property
    def signing_fingerprint(self) -> str:
        """Fingerprint of the key that signs documents (the subkey, if there is one)."""
        return self._signer.fingerprint.hex().upper()

    @property
    def _signer(self) -> _KeyMaterial:
        return self.subkey if self.subkey is not None else self.primary

    def armored_certificate(self) -> bytes:
        return armor(self.certificate, "PUBLIC KEY BLOCK")

    def sign(self, data: bytes, *, signed_at: datetime, hash_name: str = "SHA256") -> bytes:
        """A binary detached signature (type 0x00) over `data`."""
        return _signature(self._signer, SIG_BINARY, data, created=signed_at, hash_name=hash_name)


def derive_openpgp_key(
    seed: str,
    *labels: str,
    user_id: str,
    created: datetime,
    expires_after: timedelta | None = None,
    signing_subkey: bool = False,
    primary_signs: bool = True,
) -> OpenPgpTestKey:
    """A deterministic certificate: a primary key, a user ID and optionally a signing subkey.

    `expires_after` sets a key expiration time on the primary (and the subkey). With
    `signing_subkey`, documents are signed by the subkey; `primary_signs=False` leaves the
    primary certification-only, as GnuPG does by default.
    """
    primary = _KeyMaterial(
        ed25519.Ed25519PrivateKey.from_private_bytes(_derive_secret(seed, "primary", *labels)),
        created,
    )
    expiry = b""
    if expires_after is not None:
        expiry = _subpacket(9, struct.pack(">I", int(expires_after.total_seconds())))
    flags = FLAG_CERTIFY | (FLAG_SIGN if primary_signs else 0)
    uid = user_id.encode()
    certification = _signature(
        primary,
        _SIG_POSITIVE_CERT,
        primary.hashed_key() + b"\xb4" + struct.pack(">I", len(uid)) + uid,
        created=created,
        extra_hashed=_subpacket(27, bytes([flags])) + _subpacket(25, b"\x01") + expiry,
    )
    packets = _packet(6, primary.body) + _packet(13, uid) + certification
    subkey = None
    if signing_subkey:
        subkey = _KeyMaterial(
            ed25519.Ed25519PrivateKey.from_private_bytes(_derive_secret(seed, "sub", *labels)),
            created,
        )
        bound = primary.hashed_key() + b"\x99" + subkey.hashed_key()[1:]
        # The subkey's own signature proves it agreed to be bound (RFC 4880 5.2.1, 0x19).
        back = _signature_body(subkey, _SIG_PRIMARY_BINDING, bound, created=created)
        binding = _signature(
            primary,
            _SIG_SUBKEY_BINDING,
            bound,
            created=created,
            extra_hashed=_subpacket(27, bytes([FLAG_SIGN])) + expiry + _subpacket(32, back),
        )
        packets += _packet(14, subkey.body) + binding
    return OpenPgpTestKey(primary=primary, subkey=subkey, certificate=packets)


def revocation_signature(key: OpenPgpTestKey, *, revoked_at: datetime, reason: int = 2) -> bytes:
    """A key revocation (0x20) by the primary key; reason 2 is "key material compromised"."""
    return _signature(
        key.primary,
        _SIG_KEY_REVOCATION,
        key.primary.hashed_key(),
        created=revoked_at,
        extra_hashed=_subpacket(29, bytes([reason])),
    )


def revoked(key: OpenPgpTestKey, *, revoked_at: datetime, reason: int = 2) -> OpenPgpTestKey:
    """The same key with a revocation signature placed right after the primary key packet."""
    head = _packet(6, key.primary.body)
    revocation = revocation_signature(key, revoked_at=revoked_at, reason=reason)
    return OpenPgpTestKey(
        primary=key.primary,
        subkey=key.subkey,
        certificate=head + revocation + key.certificate[len(head) :],
    )


def detached_signature(
    key: OpenPgpTestKey, data: bytes, *, signed_at: datetime, hash_name: str = "SHA256"
) -> bytes:
    """A binary detached signature over `data` (what `gpg --detach-sign` writes as `.sig`)."""
    return key.sign(data, signed_at=signed_at, hash_name=hash_name)


def _crc24(data: bytes) -> int:
    """RFC 4880 section 6.1."""
    crc = 0xB704CE
    for octet in data:
        crc ^= octet << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(data: bytes, kind: str = "SIGNATURE") -> bytes:
    """ASCII armor (`.asc`): header line, base64 body, `=` CRC24 line, footer line."""
    encoded = base64.b64encode(data).decode()
    lines = [encoded[i : i + _ARMOR_LINE] for i in range(0, len(encoded), _ARMOR_LINE)]
    checksum = base64.b64encode(_crc24(data).to_bytes(3, "big")).decode()
    text = "\n".join([f"-----BEGIN PGP {kind}-----", "", *lines, f"={checksum}"])
    return (text + f"\n-----END PGP {kind}-----\n").encode()


def sha256sums(files: Mapping[str, bytes]) -> bytes:
    """A GNU coreutils SHA256SUMS over `files` (name -> content), sorted by name."""
    return "".join(
        f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n" for name in sorted(files)
    ).encode()


def signed_sha256sums(
    key: OpenPgpTestKey, files: Mapping[str, bytes], *, signed_at: datetime
) -> tuple[bytes, bytes]:
    """A vendor's SHA256SUMS and its armored detached signature `SHA256SUMS.asc`."""
    listing = sha256sums(files)
    return listing, armor(key.sign(listing, signed_at=signed_at))
