"""`PrivateSigstoreInstance`: a seeded Fulcio + CT log + Rekor stand-in that mints bundles.

Everything is derived from the seed and the arguments (keys, serial numbers, filler log
leaves; times come only from arguments), so the same call gives byte-identical JSON, and two
seeds give two instances that do not trust each other.

Test-only: used to mint evidence for hermetic tests, never by verification.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypedDict, Unpack

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from provenance.testing.bundles import (
    IN_TOTO_PAYLOAD_TYPE,
    BundleMediaType,
    assemble_bundle,
    dsse_body,
    hashedrekord_body,
    intoto_body,
    pae,
)
from provenance.testing.certificates import (
    CertificateAuthority,
    IssuerExtension,
    LeafProfile,
    SanKind,
    create_authority,
    issue_leaf,
)
from provenance.testing.keys import (
    derive_ec_key,
    derive_serial,
    key_id,
    public_key_pem,
    sign,
    sign_digest,
    spki_der,
)
from provenance.testing.log import EntryOptions, TransparencyLog
from provenance.testing.trusted_root import build_trusted_root

__all__ = ["CertificateKnobs", "LogKnobs", "PrivateSigstoreInstance"]

DEFAULT_MEDIA_TYPE: BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
# Wide enough for any signing time a test picks; sigstore-python also needs start <= now.
DEFAULT_VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)
DEFAULT_VALID_UNTIL = datetime(2050, 1, 1, tzinfo=UTC)
# Fulcio-like leaf lifetime around the signing moment.
LEAF_BACKDATE = timedelta(minutes=1)
LEAF_LIFETIME = timedelta(minutes=10)
CA_URL = "https://fulcio.test.invalid"
CT_URL = "https://ctfe.test.invalid"


class LogKnobs(TypedDict, total=False):
    """How the log entry looks; every key is optional."""

    media_type: BundleMediaType  # default: the v0.3 media type
    integrated_time: datetime  # default: signed_at
    inclusion_promise: bool  # default True: carry a SET
    inclusion_proof: bool  # default True (False yields a bundle sigstore-models rejects)
    checkpoint: bool  # default True: the inclusion proof carries a signed checkpoint
    log_index: int  # default 5: the entry's index in the proof's tree
    tree_size: int  # default 7
    entry_log_index: int  # default log_index: the entry's (sharded, global) logIndex
    entry_kind: Literal["dsse", "intoto"]  # DSSE bundles: dsse 0.0.1 (default) or intoto 0.0.2


class CertificateKnobs(LogKnobs, total=False):
    """How the signing certificate looks, in addition to the log knobs."""

    san: SanKind  # default: "email" when identity looks like an address, else "uri"
    cert_not_before: datetime  # default: signed_at - 1 min
    cert_not_after: datetime  # default: signed_at + 10 min
    issuer_extension: IssuerExtension  # default "both"
    with_sct: bool  # default True
    code_signing_eku: bool  # default True; False lists clientAuth instead
    with_eku: bool  # default True; False omits the EKU extension altogether
    claims: dict[str, str]  # further Fulcio claims, dotted OID -> text (default none)


def _utc(moment: datetime, what: str) -> datetime:
    # Certificates and logs count whole seconds; naive datetimes would silently mean local time.
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC).replace(microsecond=0)


def _check_knobs(knobs: dict[str, Any], allowed: type) -> None:
    # TypedDict keys are only checked by mypy; a misspelt knob must not pass silently.
    unknown = sorted(set(knobs) - set(allowed.__optional_keys__))  # type: ignore[attr-defined]
    if unknown:
        raise TypeError(f"unknown knob(s): {', '.join(unknown)}")


def _default_san(identity: str) -> SanKind:
    return "email" if "@" in identity and "://" not in identity else "uri"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class PrivateSigstoreInstance:
    """A private Sigstore instance for tests: `trusted_root()` plus bundles it vouches for."""

    seed: str
    origin: str
    valid_from: datetime
    authority: CertificateAuthority
    ct_key: ec.EllipticCurvePrivateKey
    log: TransparencyLog

    @classmethod
    def create(
        cls,
        seed: str,
        origin: str = "log.test.invalid",
        *,
        valid_from: datetime = DEFAULT_VALID_FROM,
        valid_until: datetime = DEFAULT_VALID_UNTIL,
    ) -> PrivateSigstoreInstance:
        """`origin` names the log in its checkpoints; CA certificates span the validity."""
        start = _utc(valid_from, "valid_from")
        return cls(
            seed=seed,
            origin=origin,
            valid_from=start,
            authority=create_authority(
                seed, valid_from=start, valid_until=_utc(valid_until, "valid_until")
            ),
            ct_key=derive_ec_key(seed, "ct-log"),
            log=TransparencyLog(seed=seed, origin=origin, key=derive_ec_key(seed, "rekor")),
        )

    # -- trust material -------------------------------------------------------------------

    @property
    def ca_root(self) -> x509.Certificate:
        return self.authority.root

    @property
    def ca_root_pem(self) -> str:
        return self.authority.root.public_bytes(Encoding.PEM).decode()

    @property
    def intermediate(self) -> x509.Certificate:
        return self.authority.intermediate

    @property
    def intermediate_pem(self) -> str:
        return self.authority.intermediate.public_bytes(Encoding.PEM).decode()

    @property
    def log_id(self) -> bytes:
        """The transparency log's key ID (SHA-256 of its DER public key), as in `logId.keyId`."""
        return self.log.log_id

    @property
    def log_public_key(self) -> ec.EllipticCurvePublicKey:
        return self.log.key.public_key()

    @property
    def ct_log_id(self) -> bytes:
        return key_id(self.ct_key.public_key())

    @property
    def log_url(self) -> str:
        return f"https://{self.log.note_name}"

    def trusted_root(self) -> dict[str, Any]:
        return build_trusted_root(
            authority=self.authority,
            log_url=self.log_url,
            log_key=self.log_public_key,
            ct_url=CT_URL,
            ct_key=self.ct_key.public_key(),
            ca_url=CA_URL,
            valid_from=self.valid_from,
        )

    def trusted_root_json(self) -> str:
        return json.dumps(self.trusted_root(), indent=2) + "\n"

    def write_trusted_root(self, path: str | os.PathLike[str]) -> Path:
        """Write `trusted_root.json` to `path` (a file name) and return it."""
        target = Path(path)
        target.write_text(self.trusted_root_json(), encoding="utf-8")
        return target

    # -- signing --------------------------------------------------------------------------

    def sign_artifact(
        self,
        data: bytes,
        *,
        identity: str,
        issuer: str,
        signed_at: datetime,
        **knobs: Unpack[CertificateKnobs],
    ) -> dict[str, Any]:
        """A hashedrekord bundle: `messageSignature` with `messageDigest`, signed by a leaf."""
        _check_knobs(dict(knobs), CertificateKnobs)
        digest = hashlib.sha256(data).digest()
        leaf_key, leaf = self._leaf(identity, issuer, signed_at, digest, knobs)
        signature = sign_digest(leaf_key, digest)
        body = hashedrekord_body(
            digest=digest, signature=signature, public_pem=leaf.public_bytes(Encoding.PEM)
        )
        content = {
            "messageDigest": {"algorithm": "SHA2_256", "digest": _b64(digest)},
            "signature": _b64(signature),
        }
        return assemble_bundle(
            media_type=knobs.get("media_type", DEFAULT_MEDIA_TYPE),
            tlog_entry=self.log.entry(
                body, kind="hashedrekord", options=_entry_options(signed_at, knobs)
            ),
            content=("messageSignature", content),
            leaf_der=leaf.public_bytes(Encoding.DER),
        )

    def sign_dsse(
        self,
        statement: dict[str, Any],
        *,
        identity: str,
        issuer: str,
        signed_at: datetime,
        payload_type: str = IN_TOTO_PAYLOAD_TYPE,
        **knobs: Unpack[CertificateKnobs],
    ) -> dict[str, Any]:
        """A DSSE bundle over `statement` (compact JSON) with a dsse 0.0.1 log entry."""
        _check_knobs(dict(knobs), CertificateKnobs)
        payload = json.dumps(statement, separators=(",", ":"), ensure_ascii=False).encode()
        payload_digest = hashlib.sha256(payload).digest()
        leaf_key, leaf = self._leaf(identity, issuer, signed_at, payload_digest, knobs)
        signature = sign(leaf_key, pae(payload_type, payload))
        envelope = {
            "payload": _b64(payload),
            "payloadType": payload_type,
            "signatures": [{"sig": _b64(signature)}],
        }
        return assemble_bundle(
            media_type=knobs.get("media_type", DEFAULT_MEDIA_TYPE),
            tlog_entry=self._dsse_entry(
                envelope,
                payload,
                signature=signature,
                verifier_pem=leaf.public_bytes(Encoding.PEM),
                signed_at=signed_at,
                knobs=knobs,
            ),
            content=("dsseEnvelope", envelope),
            leaf_der=leaf.public_bytes(Encoding.DER),
        )

    def sign_dsse_with_key(
        self,
        statement: dict[str, Any],
        private_key: ec.EllipticCurvePrivateKey,
        *,
        signed_at: datetime,
        keyid: str,
        payload_type: str = IN_TOTO_PAYLOAD_TYPE,
        **knobs: Unpack[LogKnobs],
    ) -> dict[str, Any]:
        """A managed-key DSSE bundle, as npm's registry signs publish attestations: the
        signature carries `keyid`, the bundle a `publicKey` hint of the same value."""
        _check_knobs(dict(knobs), LogKnobs)
        payload = json.dumps(statement, separators=(",", ":"), ensure_ascii=False).encode()
        signature = sign(private_key, pae(payload_type, payload))
        envelope = {
            "payload": _b64(payload),
            "payloadType": payload_type,
            "signatures": [{"sig": _b64(signature), "keyid": keyid}],
        }
        pem = public_key_pem(private_key.public_key())
        return assemble_bundle(
            media_type=knobs.get("media_type", DEFAULT_MEDIA_TYPE),
            tlog_entry=self._dsse_entry(
                envelope,
                payload,
                signature=signature,
                verifier_pem=pem,
                signed_at=signed_at,
                knobs=knobs,
            ),
            content=("dsseEnvelope", envelope),
            key_hint=keyid,
        )

    def _dsse_entry(
        self,
        envelope: dict[str, Any],
        payload: bytes,
        *,
        signature: bytes,
        verifier_pem: bytes,
        signed_at: datetime,
        knobs: LogKnobs,
    ) -> dict[str, Any]:
        options = _entry_options(signed_at, knobs)
        if knobs.get("entry_kind", "dsse") == "intoto":
            body = intoto_body(
                envelope=envelope, payload=payload, signature=signature, verifier_pem=verifier_pem
            )
            return self.log.entry(body, kind="intoto", options=options, version="0.0.2")
        body = dsse_body(
            envelope=envelope, payload=payload, signature=signature, cert_pem=verifier_pem
        )
        return self.log.entry(body, kind="dsse", options=options)

    def sign_with_key(
        self,
        data: bytes,
        private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
        *,
        signed_at: datetime,
        key_hint: str | None = None,
        **knobs: Unpack[LogKnobs],
    ) -> dict[str, Any]:
        """A managed-key bundle: `publicKey {hint}`, no certificate, hashedrekord over the PEM key.

        `key_hint` defaults to base64 of SHA-256 over the key's DER SubjectPublicKeyInfo.
        """
        _check_knobs(dict(knobs), LogKnobs)
        if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise TypeError(f"expected an EC or RSA private key, got {type(private_key).__name__}")
        public_key = private_key.public_key()
        digest = hashlib.sha256(data).digest()
        signature = sign_digest(private_key, digest)
        body = hashedrekord_body(
            digest=digest, signature=signature, public_pem=public_key_pem(public_key)
        )
        content = {
            "messageDigest": {"algorithm": "SHA2_256", "digest": _b64(digest)},
            "signature": _b64(signature),
        }
        hint = (
            key_hint
            if key_hint is not None
            else _b64(hashlib.sha256(spki_der(public_key)).digest())
        )
        return assemble_bundle(
            media_type=knobs.get("media_type", DEFAULT_MEDIA_TYPE),
            tlog_entry=self.log.entry(
                body, kind="hashedrekord", options=_entry_options(signed_at, knobs)
            ),
            content=("messageSignature", content),
            key_hint=hint,
        )

    def _leaf(
        self,
        identity: str,
        issuer: str,
        signed_at: datetime,
        content_digest: bytes,
        knobs: CertificateKnobs,
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """An ephemeral key and its leaf, as Fulcio would issue them for this signing event."""
        moment = _utc(signed_at, "signed_at")
        # Fresh per signing event (as sigstore clients do), yet fixed by seed and arguments.
        labels = ("leaf", identity, issuer, moment.isoformat(), content_digest.hex())
        leaf_key = derive_ec_key(self.seed, *labels)
        profile = LeafProfile(
            identity=identity,
            issuer=issuer,
            san=knobs.get("san", _default_san(identity)),
            not_before=_utc(
                knobs.get("cert_not_before", moment - LEAF_BACKDATE), "cert_not_before"
            ),
            not_after=_utc(knobs.get("cert_not_after", moment + LEAF_LIFETIME), "cert_not_after"),
            issuer_extension=knobs.get("issuer_extension", "both"),
            code_signing_eku=knobs.get("code_signing_eku", True),
            with_eku=knobs.get("with_eku", True),
            claims=tuple(sorted(knobs.get("claims", {}).items())),
        )
        leaf = issue_leaf(
            self.authority,
            leaf_key.public_key(),
            profile,
            serial=derive_serial(self.seed, *labels),
            ct_key=self.ct_key if knobs.get("with_sct", True) else None,
        )
        return leaf_key, leaf


def _entry_options(signed_at: datetime, knobs: LogKnobs) -> EntryOptions:
    integrated = _utc(knobs.get("integrated_time", signed_at), "integrated_time")
    return EntryOptions(
        integrated_time=int(integrated.timestamp()),
        log_index=knobs.get("log_index", 5),
        tree_size=knobs.get("tree_size", 7),
        entry_log_index=knobs.get("entry_log_index"),
        inclusion_promise=knobs.get("inclusion_promise", True),
        inclusion_proof=knobs.get("inclusion_proof", True),
        checkpoint=knobs.get("checkpoint", True),
    )
