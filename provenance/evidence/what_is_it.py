"""What a file given as a Sigstore bundle is, when it is not one.

`verify ARTIFACT --bundle FILE` is handed all sorts of release evidence: the envelope
slsa-github-generator wrote before v2.1, a PyPI attestation, an in-toto layout, an SBOM, an
npm attestations document, an OpenPGP or CMS signature. A field error from the bundle parser
("mediaType: Field required") tells the operator nothing; the name of what they gave, and
where it does count, does. Recognition reads the shape only (field names, PEM labels, packet
tags) and trusts nothing: it decides no verdict, which stays "not verified" either way.

`what_is_it(data)` returns one line, or None when the bytes look like a (malformed) bundle or
like nothing known, and the parser's own message stands.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from provenance.evidence.json_input import MalformedJson, load_json

__all__ = ["what_is_it"]

# JSON Lines: how many lines are counted (the first one is described).
MAX_LINES = 10_000
# OID 1.2.840.113549.1.7.2 (PKCS #7 signedData), DER-encoded: a CMS signature names it first.
_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")
_POLICY_MODE = "--policy FILE --segment NAME"
_BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle"
_CMS = (
    "a CMS (PKCS #7) signature, not a Sigstore bundle: a vendor's X.509 signature verifies "
    f"with {_POLICY_MODE} (signers: [x509: ...])"
)
_PEM_LABELS = {
    b"-----BEGIN PGP SIGNATURE-----": (
        "an OpenPGP signature (ASCII-armored), not a Sigstore bundle: a vendor's OpenPGP "
        f"signature verifies with {_POLICY_MODE} (signers: [openpgp: KEY])"
    ),
    b"-----BEGIN PGP PUBLIC KEY BLOCK-----": "an OpenPGP public key, not a Sigstore bundle",
    b"-----BEGIN CERTIFICATE-----": "an X.509 certificate (PEM), not a Sigstore bundle",
    b"-----BEGIN PUBLIC KEY-----": (
        "a PEM public key, not a Sigstore bundle: give a managed-key bundle's key with --key"
    ),
    b"-----BEGIN PKCS7-----": _CMS,
    b"-----BEGIN CMS-----": _CMS,
}
_BARE_SIGNATURE = (
    "a bare signature ({how}), as `cosign sign-blob --output-signature` or `openssl dgst "
    "-sign` write it, not a Sigstore bundle: it has no certificate or log entry"
)


def _dsse(document: Mapping[str, Any]) -> str:
    signatures = document.get("signatures")
    with_cert = isinstance(signatures, list) and any(
        isinstance(s, dict) and "cert" in s for s in signatures
    )
    inside = ", its certificate inside but never logged" if with_cert else ""
    return (
        "a bare DSSE envelope: not verifiable offline without its Rekor entry "
        f"(slsa-github-generator before v2.1 ships these{inside}; ask the vendor for the "
        f"Sigstore bundle, .sigstore.json); one signed with a vendor's key verifies with "
        f"{_POLICY_MODE}"
    )


def _in_toto_metadata(document: Mapping[str, Any]) -> str:
    signed = document["signed"]
    if signed.get("_type") == "layout":
        return (
            "an in-toto layout, not a Sigstore bundle: it verifies with its links beside the "
            f"artifact through a policy (vendors.NAME.in_toto.layout_keys; {_POLICY_MODE})"
        )
    name = signed.get("name")
    step = f" (step {name!r})" if isinstance(name, str) else ""
    return (
        f"an in-toto link{step}, not a Sigstore bundle: links count only with their layout "
        f"({_POLICY_MODE})"
    )


def _attestations(document: Mapping[str, Any]) -> str:
    entries = [e for e in document["attestations"] if isinstance(e, dict)]
    count = len(document["attestations"])
    if entries and all("predicateType" in e for e in entries):
        kinds = ", ".join(
            "publish" if "npm/attestation" in str(e["predicateType"]) else "SLSA provenance"
            if "slsa.dev/provenance" in str(e["predicateType"]) else str(e["predicateType"])
            for e in entries
        )  # fmt: skip
        return (
            f"an npm attestations document ({count}: {kinds}), not one Sigstore bundle: check "
            "it with --npm-package NAME@VERSION and --npm-registry-keys FILE"
        )
    return (
        f"an attestations API response ({count} entries, as GitHub's), not one Sigstore "
        "bundle: give one entry's bundle, or let --attestations-from fetch them"
    )


def _sbom(document: Mapping[str, Any]) -> str:
    if document.get("bomFormat") == "CycloneDX":
        version = document.get("specVersion")
        what = f"a CycloneDX SBOM (specVersion {version})" if isinstance(version, str) else (
            "a CycloneDX SBOM"
        )  # fmt: skip
    else:
        what = f"an SPDX SBOM ({document.get('spdxVersion')})"
    return f"{what}, not a signature: check it with `provenance sbom check FILE`"


def _has(*fields: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda document: all(field in document for field in fields)


def _is_pep740(document: Mapping[str, Any]) -> bool:
    envelope = document.get("envelope")
    return (
        document.get("version") == 1
        and "verification_material" in document
        and isinstance(envelope, dict)
        and {"statement", "signature"} <= set(envelope)
    )


def _is_metadata(document: Mapping[str, Any]) -> bool:
    signed = document.get("signed")
    return "signatures" in document and isinstance(signed, dict) and "_type" in signed


def _is_statement(document: Mapping[str, Any]) -> bool:
    return str(document.get("_type", "")).startswith("https://in-toto.io/Statement/")


def _media_type(prefix: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda document: str(document.get("mediaType", "")).startswith(prefix)


def _statement(document: Mapping[str, Any]) -> str:
    return (
        f"an unsigned in-toto Statement (predicate {document.get('predicateType')}): nothing "
        "signs it"
    )


# In order: the first that matches describes the document.
_JSON_KINDS: tuple[tuple[Callable[[Mapping[str, Any]], bool], Callable[..., str]], ...] = (
    (_has("payloadType", "payload", "signatures"), _dsse),
    (_is_pep740, lambda _: "a PEP 740 attestation (PyPI), not a Sigstore bundle"),
    (
        _has("attestation_bundles"),
        lambda d: (
            "a PyPI provenance object (PEP 740 Integrity API, "
            f"{len(d['attestation_bundles'])} attestation bundles), not a Sigstore bundle"
        ),
    ),
    (_is_metadata, _in_toto_metadata),
    (lambda d: isinstance(d.get("attestations"), list), _attestations),
    (lambda d: d.get("bomFormat") == "CycloneDX" or "spdxVersion" in d, _sbom),
    (
        lambda d: str(d.get("@context", "")).startswith("https://openvex.dev/"),
        lambda _: "an OpenVEX document, not a signature",
    ),
    (
        lambda d: isinstance(d.get("document"), dict) and "csaf_version" in d["document"],
        lambda _: "a CSAF advisory, not a signature",
    ),
    (
        _media_type("application/vnd.dev.sigstore.trustedroot"),
        lambda _: "a Sigstore trusted root, not a bundle: give it with --trusted-root",
    ),
    (
        _has("base64Signature", "rekorBundle"),
        lambda _: (
            "a bundle in cosign's own legacy format (base64Signature, rekorBundle), not a "
            "Sigstore bundle: ask for `cosign sign-blob --new-bundle-format` output"
        ),
    ),
    (_is_statement, _statement),
    (
        lambda d: "keytype" in d and isinstance(d.get("keyval"), dict),
        lambda _: "a securesystemslib key, not a Sigstore bundle",
    ),
)


def _json_document(document: object) -> str | None:
    if not isinstance(document, dict) or _media_type(_BUNDLE_MEDIA_TYPE)(document):
        return None  # a bundle, however malformed: the parser says what is wrong with it
    kinds = _JSON_KINDS
    return next((describe(document) for matches, describe in kinds if matches(document)), None)


def _json_lines(data: bytes) -> str | None:
    lines = [line for line in data.splitlines()[:MAX_LINES] if line.strip()]
    if len(lines) < 2:
        return None
    try:
        first = load_json(lines[0])
    except MalformedJson:
        return None
    if isinstance(first, dict) and _media_type(_BUNDLE_MEDIA_TYPE)(first):
        what = "a Sigstore bundle"
    else:
        what = _json_document(first) or "not a Sigstore bundle"
    return (
        f"a JSON Lines file of {len(lines)} documents (as .intoto.jsonl), not one bundle; line "
        f"1 is {what}; {_POLICY_MODE} reads every line"
    )


def _is_strict_der_signature(data: bytes) -> bool:
    try:
        r, s = decode_dss_signature(data)
    except ValueError:
        return False
    return encode_dss_signature(r, s) == data


def _binary(data: bytes) -> str | None:
    head = data[:1]
    # OpenPGP signature packet (tag 2): old format 0b100010xx, new format 0xC2.
    if head and ((head[0] & 0xFC) == 0x88 or head[0] == 0xC2):
        return (
            "an OpenPGP signature (binary), not a Sigstore bundle: a vendor's OpenPGP "
            f"signature verifies with {_POLICY_MODE} (signers: [openpgp: KEY])"
        )
    if head != b"\x30":
        return None
    if _SIGNED_DATA_OID in data[:32]:
        return _CMS
    if _is_strict_der_signature(data):
        return _BARE_SIGNATURE.format(how="ECDSA, DER")
    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        return None
    return "an X.509 certificate (DER), not a Sigstore bundle"


def _base64_signature(data: bytes) -> str | None:
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return _BARE_SIGNATURE.format(how="ECDSA, base64") if _is_strict_der_signature(raw) else None


def what_is_it(data: bytes) -> str | None:
    """One line saying what `data` is instead of a Sigstore bundle; None if it is a bundle
    (malformed) or nothing this module knows."""
    text = data.lstrip()
    for label, description in _PEM_LABELS.items():
        if text.startswith(label):
            return description
    try:
        document = load_json(data)
    except MalformedJson:
        return _json_lines(data) or _binary(data) or _base64_signature(data)
    return _json_document(document)
