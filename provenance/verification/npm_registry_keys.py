"""npm registry signing keys, injected by the operator, never fetched.

The file is what the registry serves at `/-/npm/v1/keys` (save it once, check it, keep it
with the gate's trust material): `{"keys": [{"expires": null | ISO time, "keyid":
"SHA256:...", "keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256", "key":
base64 DER SubjectPublicKeyInfo}]}`. A key's `keyid` is its OpenSSH SHA-256 fingerprint; a
file whose keyid does not match its key is refused, so no label can point at another key.
Problems are the operator's (exit 2): this is trust configuration, not evidence.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from provenance.errors import InputError
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.inputs.files import read_bounded
from provenance.verification.signers import PublicKeySigner, key_id_of

__all__ = ["RegistryKey", "load_registry_keys", "parse_registry_keys"]

MAX_KEYS_BYTES = 64 * 1024
_SCHEME = "ecdsa-sha2-nistp256"


@dataclass(frozen=True)
class RegistryKey:
    keyid: str  # "SHA256:" + OpenSSH fingerprint
    signer: PublicKeySigner
    expires: datetime | None

    def describe(self) -> str:
        until = f", expires {self.expires.isoformat()}" if self.expires else ""
        return f"npm registry key {self.keyid}{until}"


def load_registry_keys(path: Path) -> tuple[RegistryKey, ...]:
    data = read_bounded(path, MAX_KEYS_BYTES, "npm registry keys")
    if data is None:
        raise InputError(f"{path}: larger than {MAX_KEYS_BYTES} bytes; not npm registry keys")
    return parse_registry_keys(data, str(path))


def parse_registry_keys(data: bytes, source: str) -> tuple[RegistryKey, ...]:
    try:
        document = load_json(data)
    except MalformedJson as exc:
        raise InputError(f"{source}: npm registry keys: not JSON ({exc})") from exc
    if not isinstance(document, dict) or set(document) != {"keys"}:
        raise InputError(f'{source}: npm registry keys: expected {{"keys": [...]}}')
    entries = document["keys"]
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{source}: npm registry keys: expected a non-empty list of keys")
    keys = tuple(_key(entry, f"{source}: keys[{i}]") for i, entry in enumerate(entries))
    if len({key.keyid for key in keys}) != len(keys):
        raise InputError(f"{source}: npm registry keys: a keyid is listed twice")
    return keys


def _key(entry: Any, where: str) -> RegistryKey:
    expected = {"expires", "keyid", "keytype", "scheme", "key"}
    if not isinstance(entry, dict) or set(entry) != expected:
        raise InputError(f"{where}: expected exactly {', '.join(sorted(expected))}")
    if entry["keytype"] != _SCHEME or entry["scheme"] != _SCHEME:
        raise InputError(
            f"{where}: expected keytype and scheme {_SCHEME}, got "
            f"{str(entry['keytype'])[:40]!r} and {str(entry['scheme'])[:40]!r}"
        )
    try:
        der = base64.b64decode(str(entry["key"]), validate=True)
        key = serialization.load_der_public_key(der)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"{where}: key: not a base64 DER public key ({exc})") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise InputError(f"{where}: key: expected an ECDSA P-256 key")
    keyid = entry["keyid"]
    fingerprint = _ssh_fingerprint(key)
    if keyid != fingerprint:
        raise InputError(
            f"{where}: keyid: expected {fingerprint} (the key's SHA-256 fingerprint), got "
            f"{str(keyid)[:80]!r}"
        )
    source = f"npm registry key {keyid}"
    return RegistryKey(
        keyid=keyid,
        signer=PublicKeySigner(key=key, source=source, key_id=key_id_of(key)),
        expires=_expiry(entry["expires"], where),
    )


def _ssh_fingerprint(key: ec.EllipticCurvePublicKey) -> str:
    blob = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    digest = hashlib.sha256(base64.b64decode(blob.split()[1])).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _expiry(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{where}: expires: expected null or an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{where}: expires: not an ISO 8601 time ({value[:40]!r})") from exc
    if moment.tzinfo is None:
        raise InputError(f"{where}: expires: expected a time with its zone, got {value[:40]!r}")
    return moment.astimezone(UTC)
