"""PEP 740 attestations (PyPI) and Integrity API provenance objects, parsed strictly and turned
into the Sigstore bundles they are equivalent to. Nothing here is trusted.

An attestation is `{"version": 1, "verification_material": {"certificate": b64 DER,
"transparency_entries": [entry]}, "envelope": {"statement": b64, "signature": b64}}`. As
pypi-attestations' `Attestation.to_bundle` does, it becomes a v0.3 bundle: the certificate,
the log entry, and a DSSE envelope of payload type in-toto over the statement with the one
signature. The bundle then goes through the same strict parser as any bundle
(`parse_bundle`), and comes out as a `Pep740Bundle`, which the verifier holds to the PEP 740
subject rule: one subject, named like the distribution file and carrying its SHA-256.

A provenance object (`{"version": 1, "attestation_bundles": [{"publisher": {...},
"attestations": [...]}]}`) is what PyPI's Integrity API serves. Its `publisher` is PyPI's
unsigned word, kept only to be shown; only the attestations are evidence.

Stricter than pypi-attestations on purpose: unknown keys, non-canonical base64, and more than
one transparency entry per attestation are refused (it reads the first entry and ignores the
rest, and tolerates extra fields).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from provenance.errors import EvidenceError
from provenance.evidence.in_toto import IN_TOTO_PAYLOAD_TYPE
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.evidence.sigstore_bundle import (
    MAX_BUNDLE_BYTES,
    DsseContent,
    ParsedBundle,
    parse_bundle,
)
from provenance.inputs.files import read_bounded

__all__ = [
    "ATTESTATION_SUFFIX",
    "PUBLISH_V1",
    "PYPI_ATTESTATION_TYPES",
    "SLSA_PROVENANCE_V1",
    "Pep740Bundle",
    "parse_attestations",
    "pep740_kind",
    "read_attestations",
    "read_bundle_or_attestation",
]

ATTESTATION_SUFFIX = ".attestation"  # X.publish.attestation, X.slsa.attestation, X.attestation
PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
# The predicate types PyPI accepts (pypi-attestations' `AttestationType`).
PYPI_ATTESTATION_TYPES = (PUBLISH_V1, SLSA_PROVENANCE_V1)
# PyPI stores a handful per file; more is not a provenance object of one distribution.
MAX_ATTESTATIONS = 16
_BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"

Pep740Kind = Literal["attestation", "provenance"]


@dataclass(frozen=True)
class Pep740Bundle(ParsedBundle):
    """A PEP 740 attestation as the Sigstore bundle it is equivalent to.

    The verifier binds it by distribution file name as well as by digest; `publisher` is the
    provenance object's unsigned description of the Trusted Publisher, if it came in one.
    """

    publisher: str | None = None


def pep740_kind(document: Any) -> Pep740Kind | None:
    """What a parsed JSON document is, by its shape: an attestation, a provenance object, or
    neither (None). Recognition only; parsing decides whether it is well formed."""
    if not isinstance(document, dict) or "mediaType" in document:
        return None
    if "attestation_bundles" in document:
        return "provenance"
    if "envelope" in document and "verification_material" in document:
        return "attestation"
    return None


def read_bundle_or_attestation(path: Path) -> ParsedBundle:
    """A Sigstore bundle file, or a PEP 740 attestation (or a provenance object holding
    exactly one) converted to its bundle: what `verify --bundle` accepts. Anything else is
    left to the bundle parser (which says what a file that is no bundle is)."""
    data = _read(path)
    document = _document(data)
    if document is None or pep740_kind(document) is None:
        return parse_bundle(data, str(path))
    bundles = parse_attestations(document, str(path))
    if len(bundles) != 1:
        kinds = ", ".join(_predicate_type(bundle) for bundle in bundles)
        raise EvidenceError(
            f"a PyPI provenance object with {len(bundles)} attestations ({kinds}): expected "
            "one here; give each attestation file on its own",
            check="bundle",
        )
    return bundles[0]


def read_attestations(path: Path) -> tuple[Pep740Bundle, ...]:
    """Every attestation in a PEP 740 attestation file or provenance object."""
    data = _read(path)
    document = _document(data)
    if document is None or pep740_kind(document) is None:
        raise EvidenceError(
            "expected a PEP 740 attestation or a PyPI provenance object, got something else",
            check="bundle",
        )
    return parse_attestations(document, str(path))


def parse_attestations(document: Any, source: str) -> tuple[Pep740Bundle, ...]:
    """The attestations of a parsed attestation or provenance object, as bundles."""
    kind = pep740_kind(document)
    if kind == "attestation":
        return (_attestation(document, source, None),)
    if kind != "provenance":
        raise EvidenceError(
            "expected a PEP 740 attestation or a PyPI provenance object", check="bundle"
        )
    where = "PyPI provenance object"
    _keys(document, {"version", "attestation_bundles"}, where)
    _version(document, where)
    groups = _list(document["attestation_bundles"], f"{where}: attestation_bundles")
    bundles: list[Pep740Bundle] = []
    for number, group in enumerate(groups):
        at = f"{where}: attestation_bundles[{number}]"
        _keys(group, {"publisher", "attestations"}, at)
        publisher = _publisher(group["publisher"], at)
        for attestation in _list(group["attestations"], f"{at}.attestations"):
            if len(bundles) == MAX_ATTESTATIONS:
                raise EvidenceError(
                    f"{where}: expected at most {MAX_ATTESTATIONS} attestations, got more",
                    check="bundle",
                )
            bundles.append(_attestation(attestation, f"{source}#{len(bundles) + 1}", publisher))
    return tuple(bundles)


def _read(path: Path) -> bytes:
    data = read_bounded(path, MAX_BUNDLE_BYTES, "bundle")
    if data is None:
        raise EvidenceError(
            f"bundle is larger than the {MAX_BUNDLE_BYTES}-byte limit", check="bundle"
        )
    return data


def _document(data: bytes) -> Any:
    """The JSON document, or None if it is not JSON (the bundle parser then says why)."""
    try:
        return load_json(data)
    except MalformedJson:
        return None


def _attestation(document: Any, source: str, publisher: str | None) -> Pep740Bundle:
    where = "PEP 740 attestation"
    _keys(document, {"version", "verification_material", "envelope"}, where)
    _version(document, where)
    material = document["verification_material"]
    _keys(material, {"certificate", "transparency_entries"}, f"{where}: verification_material")
    entries = _list(
        material["transparency_entries"], f"{where}: verification_material.transparency_entries"
    )
    if len(entries) != 1:
        raise EvidenceError(
            f"{where}: expected exactly one transparency entry, got {len(entries)}",
            check="bundle",
        )
    envelope = document["envelope"]
    _keys(envelope, {"statement", "signature"}, f"{where}: envelope")
    bundle = {
        "mediaType": _BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "certificate": {"rawBytes": _base64(material["certificate"], f"{where}: certificate")},
            "tlogEntries": entries,
        },
        "dsseEnvelope": {
            "payload": _base64(envelope["statement"], f"{where}: envelope.statement"),
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": _base64(envelope["signature"], f"{where}: envelope.signature")}],
        },
    }
    try:
        parsed = parse_bundle(json.dumps(bundle).encode(), source)
    except EvidenceError as exc:
        raise EvidenceError(f"{where}, as a Sigstore bundle: {exc}", check="bundle") from exc
    values = {field.name: getattr(parsed, field.name) for field in fields(ParsedBundle)}
    return Pep740Bundle(**values, publisher=publisher)


def _keys(value: Any, expected: set[str], where: str) -> None:
    if not isinstance(value, dict):
        raise EvidenceError(f"{where}: expected a JSON object", check="bundle")
    missing, unknown = expected - value.keys(), value.keys() - expected
    if missing:
        raise EvidenceError(f"{where}: missing {', '.join(sorted(missing))}", check="bundle")
    if unknown:
        shown = ", ".join(sorted(str(key)[:40] for key in unknown)[:5])
        raise EvidenceError(f"{where}: unknown field(s) {shown}", check="bundle")


def _version(document: Mapping[str, Any], where: str) -> None:
    version = document["version"]
    if type(version) is not int or version != 1:
        raise EvidenceError(f"{where}: expected version 1, got {version!r:.40}", check="bundle")


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise EvidenceError(f"{where}: expected a non-empty list", check="bundle")
    return value


def _base64(value: Any, where: str) -> str:
    """Canonical standard base64 of non-empty bytes, re-encoded for the bundle."""
    if not isinstance(value, str) or not value:
        raise EvidenceError(f"{where}: expected a base64 string", check="bundle")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EvidenceError(f"{where}: not base64 ({exc})", check="bundle") from exc
    if not raw or base64.b64encode(raw).decode() != value:
        raise EvidenceError(f"{where}: not canonical base64", check="bundle")
    return value


def _publisher(value: Any, where: str) -> str:
    """PyPI's (unsigned) description of the publisher, for messages only."""
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
        raise EvidenceError(f"{where}: publisher: expected an object with a kind", check="bundle")
    details = [
        f"{key}={text}"
        for key, text in sorted(value.items())
        if key != "kind" and isinstance(text, str)
    ]
    return f"{value['kind']} ({', '.join(details)})"[:300]


def _predicate_type(bundle: Pep740Bundle) -> str:
    """The unverified predicate type, only to describe what a file holds."""
    assert isinstance(bundle.content, DsseContent)
    try:
        statement = load_json(bundle.content.payload)
    except MalformedJson:
        return "unreadable statement"
    kind = statement.get("predicateType") if isinstance(statement, dict) else None
    return str(kind)[:80] if kind else "no predicate type"
