"""Public keys for in-toto layouts and functionaries: securesystemslib key dicts and PEM files.

A securesystemslib key is `{"keytype", "scheme", "keyval": {"public"}}` (older files add
`keyid_hash_algorithms`). Its key ID is the SHA-256 of the OLPC canonical JSON of that dict
without `keyid` and with `keyval` reduced to `public`, which is what securesystemslib (legacy
and 1.x) and in-toto-golang compute; we hash the fields as received, so either convention gives
the ID its writer gave. RSA and ECDSA public values are PEM, Ed25519 values 64 hex digits.

The scheme decides how a signature is checked; it must agree with the key (an ECDSA P-384 key
under `ecdsa-sha2-nistp256` is refused, not tried).

in-toto-golang derives a key from a functionary's or CA's certificate: the default scheme for
its key type, `keyid_hash_algorithms` `["sha256", "sha512"]`, and the PEM public key without
its final newline; `key_from_certificate` and `certificate_keyid` give the ID it gives.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from provenance.errors import EvidenceError, InputError
from provenance.evidence.canonical_json import NotCanonicalizable, encode_canonical
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.inputs.files import read_bounded
from provenance.verification.signatures import Padding, verify_signature
from provenance.verification.signers import VerifyingKey, parse_public_key

__all__ = [
    "InTotoKey",
    "Scheme",
    "certificate_keyid",
    "compute_keyid",
    "key_from_certificate",
    "key_from_public",
    "load_layout_key",
    "parse_key_dict",
]

MAX_KEY_FILE_BYTES = 64 * 1024
MIN_RSA_BITS = 2048
# What in-toto-golang writes into every key it derives (and hashes into its ID).
GOLANG_KEYID_HASH_ALGORITHMS = ("sha256", "sha512")

Scheme = Literal[
    "rsassa-pss-sha256",
    "rsa-pkcs1v15-sha256",
    "rsa-pkcs1v15-sha384",
    "rsa-pkcs1v15-sha512",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ed25519",
]
SCHEMES: tuple[Scheme, ...] = get_args(Scheme)
_ED25519_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class _SchemeSpec:
    keytypes: tuple[str, ...]  # securesystemslib spells ECDSA both ways
    hash: type[hashes.HashAlgorithm] | None  # None: Ed25519 hashes internally
    padding: Padding = "pkcs1v15"
    curve: type[ec.EllipticCurve] | None = None


_SPECS: dict[Scheme, _SchemeSpec] = {
    "rsassa-pss-sha256": _SchemeSpec(("rsa",), hashes.SHA256, "pss"),
    "rsa-pkcs1v15-sha256": _SchemeSpec(("rsa",), hashes.SHA256),
    "rsa-pkcs1v15-sha384": _SchemeSpec(("rsa",), hashes.SHA384),
    "rsa-pkcs1v15-sha512": _SchemeSpec(("rsa",), hashes.SHA512),
    "ecdsa-sha2-nistp256": _SchemeSpec(
        ("ecdsa", "ecdsa-sha2-nistp256"), hashes.SHA256, curve=ec.SECP256R1
    ),
    "ecdsa-sha2-nistp384": _SchemeSpec(
        ("ecdsa", "ecdsa-sha2-nistp384"), hashes.SHA384, curve=ec.SECP384R1
    ),
    "ed25519": _SchemeSpec(("ed25519",), None),
}


class _KeyProblem(ValueError):
    """Why a key dict or file is not a usable key; callers turn it into their error type."""


@dataclass(frozen=True)
class InTotoKey:
    """A verification key with its securesystemslib key ID and signature scheme."""

    keyid: str
    keytype: str
    scheme: Scheme
    public: VerifyingKey
    source: str

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the public key itself: one functionary however many IDs name its key."""
        raw = self.public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(raw).hexdigest()

    @property
    def short_id(self) -> str:
        """The first 8 hex digits: how in-toto names link files (`<step>.<keyid8>.link`)."""
        return self.keyid[:8]

    def verify(self, signature: bytes, data: bytes) -> bool:
        """True if `signature` over `data` is valid under this key and its scheme."""
        spec = _SPECS[self.scheme]
        return verify_signature(
            self.public,
            signature,
            data,
            algorithm=spec.hash() if spec.hash else None,
            rsa_padding=spec.padding,
        )

    def to_dict(self) -> dict[str, Any]:
        """The securesystemslib 1.x form of the public key, as a layout's `keys` holds it."""
        return {
            "keytype": self.keytype,
            "scheme": self.scheme,
            "keyval": {"public": _public_value(self.public)},
        }


def compute_keyid(key: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the key dict minus `keyid` and private parts."""
    keyval = key.get("keyval")
    hashed = {name: value for name, value in key.items() if name != "keyid"}
    if isinstance(keyval, Mapping):
        hashed["keyval"] = {"public": keyval.get("public")}
    try:
        return hashlib.sha256(encode_canonical(hashed)).hexdigest()
    except NotCanonicalizable as exc:
        raise _KeyProblem(f"key is not canonical JSON ({exc})") from exc


def _public_value(key: VerifyingKey) -> str:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _check_key_matches_scheme(key: VerifyingKey, scheme: Scheme) -> None:
    spec = _SPECS[scheme]
    if spec.hash is None:
        ok = isinstance(key, ed25519.Ed25519PublicKey)
    elif spec.curve is not None:
        ok = isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, spec.curve)
    else:
        ok = isinstance(key, rsa.RSAPublicKey)
    if not ok:
        raise _KeyProblem(f"scheme {scheme} does not fit a {_describe(key)} key")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise _KeyProblem(
            f"expected an RSA key of at least {MIN_RSA_BITS} bits, got {key.key_size}"
        )


def _describe(key: VerifyingKey) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA {key.curve.name}"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    return "Ed25519"


def _default_scheme(key: VerifyingKey) -> Scheme:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP384R1):
            return "ecdsa-sha2-nistp384"
        return "ecdsa-sha2-nistp256"
    return "rsassa-pss-sha256"  # securesystemslib's and in-toto's RSA default


def _keytype(scheme: Scheme) -> str:
    return _SPECS[scheme].keytypes[0]


def _public_from_dict(keytype: str, scheme: Scheme, public: str) -> VerifyingKey:
    if keytype == "ed25519":
        if not _ED25519_HEX.fullmatch(public):
            raise _KeyProblem("expected an Ed25519 public value of 64 lowercase hex digits")
        return ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(public))
    try:
        loaded = serialization.load_pem_public_key(public.encode())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise _KeyProblem(f"keyval.public is not a PEM public key ({exc})") from exc
    if not isinstance(loaded, VerifyingKey):
        raise _KeyProblem(f"expected an RSA or ECDSA key, got {type(loaded).__name__}")
    _check_key_matches_scheme(loaded, scheme)
    return loaded


def _parse_dict(raw: Mapping[str, Any], source: str, keyid: str | None) -> InTotoKey:
    keytype, scheme, keyval = raw.get("keytype"), raw.get("scheme"), raw.get("keyval")
    if scheme not in SCHEMES:
        raise _KeyProblem(f"expected scheme one of {', '.join(SCHEMES)}, got {scheme!r}")
    scheme = cast(Scheme, scheme)
    if keytype not in _SPECS[scheme].keytypes:
        raise _KeyProblem(f"keytype {keytype!r} does not fit scheme {scheme}")
    if not isinstance(keyval, Mapping) or not isinstance(keyval.get("public"), str):
        raise _KeyProblem("expected keyval.public as a string")
    if keyval.get("private"):
        raise _KeyProblem("holds a private key; give the public key")
    public = _public_from_dict(keytype, scheme, keyval["public"])
    _check_key_matches_scheme(public, scheme)
    computed = compute_keyid(raw)
    for claimed in (keyid, raw.get("keyid")):
        if claimed is not None and claimed != computed:
            raise _KeyProblem(f"key ID {claimed!r} does not match the key (computed {computed})")
    return InTotoKey(computed, keytype, scheme, public, source)


def parse_key_dict(raw: Mapping[str, Any], source: str, *, keyid: str | None = None) -> InTotoKey:
    """A key dict from evidence (a layout's `keys`); raises `EvidenceError` if unusable.

    `keyid`, if given (the dict key it was filed under), must equal the computed key ID.
    """
    try:
        return _parse_dict(raw, source, keyid)
    except _KeyProblem as exc:
        raise EvidenceError(f"{source}: {exc}", check="in-toto key") from exc


def key_from_public(key: VerifyingKey, source: str, *, scheme: Scheme | None = None) -> InTotoKey:
    """An in-toto key for a loaded public key, with the ID securesystemslib 1.x gives it."""
    chosen = scheme or _default_scheme(key)
    try:
        _check_key_matches_scheme(key, chosen)
    except _KeyProblem as exc:
        raise InputError(f"{source}: {exc}") from exc
    draft = InTotoKey("", _keytype(chosen), chosen, key, source)
    return InTotoKey(compute_keyid(draft.to_dict()), draft.keytype, chosen, key, source)


def _golang_dict(key: VerifyingKey, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **{name: value for name, value in fields.items() if name not in ("keyid", "keyval")},
        "keyval": {"public": _public_value(key).strip()},
    }


def certificate_keyid(key: VerifyingKey, fields: Mapping[str, Any]) -> str:
    """The key ID in-toto-golang gives a CA entry (`rootcas`, `intermediatecas`): computed over
    the entry's fields with `keyval.public` set to the certificate's key, as it loaded it."""
    try:
        return compute_keyid(_golang_dict(key, fields))
    except _KeyProblem as exc:
        raise EvidenceError(str(exc), check="in-toto key") from exc


def key_from_certificate(key: VerifyingKey, source: str) -> InTotoKey:
    """A functionary key from its certificate's public key, with in-toto-golang's defaults
    (ECDSA P-384 gets ecdsa-sha2-nistp384: in-toto-golang would refuse its curve); raises
    `EvidenceError` for a key we do not verify with (RSA under 2048 bits)."""
    scheme = _default_scheme(key)
    try:
        _check_key_matches_scheme(key, scheme)
    except _KeyProblem as exc:
        raise EvidenceError(f"{source}: {exc}", check="in-toto key") from exc
    fields = {
        "keytype": _keytype(scheme),
        "scheme": scheme,
        "keyid_hash_algorithms": list(GOLANG_KEYID_HASH_ALGORITHMS),
    }
    keyid = compute_keyid(_golang_dict(key, fields))
    return InTotoKey(keyid, _keytype(scheme), scheme, key, source)


def load_layout_key(path: Path, *, scheme: Scheme | None = None) -> InTotoKey:
    """A layout (or vendor) key from a PEM public key or a securesystemslib key file.

    For PEM, `scheme` defaults by key type (RSA: rsassa-pss-sha256, as in-toto signs). Raises
    `InputError`: the key is the operator's trust input, not evidence.
    """
    data = read_bounded(path, MAX_KEY_FILE_BYTES, "key")
    if data is None:
        raise InputError(f"{path}: larger than {MAX_KEY_FILE_BYTES} bytes; not a public key")
    if data.lstrip().startswith(b"-----BEGIN"):
        return key_from_public(parse_public_key(data, str(path)).key, str(path), scheme=scheme)
    try:
        raw = load_json(data)
    except MalformedJson as exc:
        raise InputError(f"{path}: expected a PEM or securesystemslib public key ({exc})") from exc
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a securesystemslib key object")
    try:
        key = _parse_dict(raw, str(path), None)
    except _KeyProblem as exc:
        raise InputError(f"{path}: {exc}") from exc
    if scheme is not None and scheme != key.scheme:
        raise InputError(f"{path}: key file says scheme {key.scheme}, expected {scheme}")
    return key
