"""in-toto v0.9 metadata (layouts and links), strictly, as classic metablocks or DSSE envelopes.

A classic metablock is `{"signed": {...}, "signatures": [{"keyid", "sig"}]}` (in-toto-golang
adds `"cert"`, a PEM certificate or `""`): the signatures cover the OLPC canonical JSON of
`signed`. We keep the `signed` object exactly as received and canonicalize *that*, never a
re-serialization of a model, so layouts written by other implementations (in-toto-golang adds
fields the Python model drops, such as `rootcas` or a step's `cert_constraints`) still verify,
and any changed byte fails. A DSSE envelope
(payloadType `application/vnd.in-toto+json`) signs its payload bytes as they are.

Known fields are parsed strictly (types, sizes, names usable as file names); unknown fields are
kept, unread, under the signature; in-toto-golang's X.509 fields (`rootcas`, `intermediatecas`,
`cert_constraints`, a signature's `cert`) are read by `in_toto_x509`. Nothing here is trusted
until verification checks it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast, get_args

from cryptography import x509

from provenance.errors import EvidenceError
from provenance.evidence.canonical_json import NotCanonicalizable, encode_canonical
from provenance.evidence.dsse_envelope import parse_envelope
from provenance.evidence.in_toto import IN_TOTO_PAYLOAD_TYPE
from provenance.evidence.in_toto_x509 import (
    CertConstraint,
    LayoutCa,
    parse_cas,
    parse_cert_constraints,
    parse_signature_certificate,
)
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.inputs.files import read_bounded

__all__ = [
    "MAX_METADATA_BYTES",
    "ArtifactRule",
    "Artifacts",
    "Inspection",
    "Layout",
    "Link",
    "MetadataSignature",
    "RuleKind",
    "SignedMetadata",
    "Step",
    "parse_layout",
    "parse_link",
    "parse_metadata",
    "read_metadata",
]

# A link records every file a step touched; a large source tree is ~100k files of ~150 bytes.
MAX_METADATA_BYTES = 32 * 1024 * 1024
MAX_ARTIFACTS = 200_000
# A metablock carries one signature per signer; no real layout has more signers than this.
MAX_SIGNATURES = 64
MAX_KEYS = 1_000
MAX_STEPS = 1_000
MAX_RULES = 1_000
MAX_COMMAND_ARGUMENTS = 10_000
# Step names become file names, with ".<keyid8>.link" (14 bytes) appended; NAME_MAX is 255.
MAX_NAME_BYTES = 200

RuleKind = Literal["MATCH", "CREATE", "DELETE", "MODIFY", "ALLOW", "DISALLOW", "REQUIRE"]
_RULE_KINDS: tuple[str, ...] = get_args(RuleKind)
DestinationType = Literal["materials", "products"]
Artifacts = Mapping[str, Mapping[str, str]]  # path -> {hash algorithm: hex digest}

# Step names become file names (`<step>.<keyid8>.link`, sublayout dir `<step>.<keyid8>/`):
# no path separators, no control characters, not `.` or `..`.
_NAME = re.compile(r"[^/\\\x00-\x1f\x7f]+")
_KEYID = re.compile(r"[0-9a-f]{64}")
_HEX = re.compile(r"[0-9a-fA-F]+")
# RFC 3339 with a mandatory offset: in-toto writes `...Z`, in-toto-golang may write an offset.
_SIGNATURE_FIELDS = frozenset({"keyid", "sig", "cert"})
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")


@dataclass(frozen=True)
class MetadataSignature:
    keyid: str  # an unauthenticated hint
    sig: bytes
    # in-toto-golang: the signer's certificate, checked against the layout's CAs and the
    # step's cert_constraints before its key may count; None when absent or "".
    certificate: x509.Certificate | None = None


@dataclass(frozen=True)
class SignedMetadata:
    """One metadata file: the `signed` object as received and what its signatures cover.

    `payload` is the canonical JSON of `signed` (metablock) or the DSSE payload bytes (DSSE,
    whose signatures cover PAE(payload_type, payload)).
    """

    source: str
    envelope: Literal["metablock", "dsse"]
    signed: Mapping[str, Any]
    payload: bytes
    payload_type: str | None  # DSSE only
    signatures: tuple[MetadataSignature, ...]

    @property
    def kind(self) -> str:
        kind: str = self.signed["_type"]
        return kind


@dataclass(frozen=True)
class ArtifactRule:
    """One artifact rule; `text` is the rule as written, for messages."""

    kind: RuleKind
    pattern: str
    text: str
    source_prefix: str = ""
    dest_type: DestinationType | None = None  # MATCH only
    dest_prefix: str = ""
    dest_name: str = ""


@dataclass(frozen=True)
class Step:
    name: str
    pubkeys: tuple[str, ...]
    threshold: int
    expected_command: tuple[str, ...]
    expected_materials: tuple[ArtifactRule, ...]
    expected_products: tuple[ArtifactRule, ...]
    cert_constraints: tuple[CertConstraint, ...] = ()  # in-toto-golang X.509 functionaries


@dataclass(frozen=True)
class Inspection:
    name: str
    run: tuple[str, ...]
    expected_materials: tuple[ArtifactRule, ...]
    expected_products: tuple[ArtifactRule, ...]


@dataclass(frozen=True)
class Layout:
    expires: datetime
    keys: Mapping[str, Mapping[str, Any]]  # keyid -> key dict as received
    steps: tuple[Step, ...]
    inspections: tuple[Inspection, ...]
    readme: str
    root_cas: tuple[LayoutCa, ...] = ()  # in-toto-golang: anchors for functionary certificates
    intermediate_cas: tuple[LayoutCa, ...] = ()


@dataclass(frozen=True)
class Link:
    name: str
    command: tuple[str, ...]
    materials: Artifacts
    products: Artifacts
    byproducts: Mapping[str, Any]
    environment: Mapping[str, Any]


def _fail(source: str, problem: str) -> EvidenceError:
    return EvidenceError(f"{source}: {problem}", check="in-toto")


def _load_object(data: bytes, source: str, what: str) -> dict[str, Any]:
    """JSON object with no duplicate keys: a signer and a verifier must never read one document
    two ways (which of two `expires` counts?)."""
    try:
        document = load_json(data)  # duplicate keys, nesting, number sizes refused there
    except MalformedJson as exc:
        raise _fail(source, f"{what} is not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise _fail(source, f"expected {what} to be a JSON object, got {type(document).__name__}")
    return document


def _canonical(signed: Mapping[str, Any], source: str) -> bytes:
    try:
        return encode_canonical(signed)
    except NotCanonicalizable as exc:
        raise _fail(source, f"signed metadata is not canonical JSON ({exc})") from exc


def _signature_entry(entry: object, index: int, source: str) -> MetadataSignature:
    where = f"signatures[{index}]"
    if not isinstance(entry, dict):
        raise _fail(source, f"{where}: expected an object, got {type(entry).__name__}")
    if {"other_headers", "signature"} & set(entry):
        raise _fail(source, f"{where}: a GPG signature (other_headers, signature) is not supported")
    if not {"keyid", "sig"} <= set(entry) <= _SIGNATURE_FIELDS:
        raise _fail(
            source,
            f"{where}: expected keyid and sig, and optionally cert (in-toto-golang), got "
            f"{sorted(entry)}",
        )
    keyid, sig = entry["keyid"], entry["sig"]
    if not isinstance(keyid, str) or not isinstance(sig, str):
        raise _fail(source, f"{where}: keyid and sig must be strings")
    if not _HEX.fullmatch(sig) or len(sig) % 2:
        raise _fail(source, f"{where}: expected sig as hexadecimal")
    certificate = parse_signature_certificate(entry.get("cert", ""), where, source)
    return MetadataSignature(keyid, bytes.fromhex(sig), certificate)


def _metablock_signatures(raw: object, source: str) -> tuple[MetadataSignature, ...]:
    if not isinstance(raw, list):
        raise _fail(source, "expected 'signatures' to be a list")
    if len(raw) > MAX_SIGNATURES:
        raise _fail(source, f"expected at most {MAX_SIGNATURES} signatures, got {len(raw)}")
    return tuple(_signature_entry(entry, index, source) for index, entry in enumerate(raw))


def _check_type(signed: Mapping[str, Any], source: str) -> None:
    kind = signed.get("_type")
    if kind not in ("layout", "link"):
        raise _fail(source, f"expected _type 'layout' or 'link', got {kind!r}")


def parse_metadata(data: bytes, source: str) -> SignedMetadata:
    """A layout or link file, classic metablock or DSSE; raises `EvidenceError` if malformed."""
    document = _load_object(data, source, "metadata")
    if "payloadType" in document:
        envelope = parse_envelope(data, source)
        if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
            raise _fail(
                source,
                f"expected DSSE payloadType {IN_TOTO_PAYLOAD_TYPE}, got {envelope.payload_type!r}",
            )
        signed = _load_object(envelope.payload, source, "DSSE payload")
        _check_type(signed, source)
        return SignedMetadata(
            source=source,
            envelope="dsse",
            signed=signed,
            payload=envelope.payload,
            payload_type=envelope.payload_type,
            signatures=tuple(MetadataSignature(s.keyid, s.sig) for s in envelope.signatures),
        )
    if set(document) != {"signed", "signatures"}:
        raise _fail(
            source,
            "expected a metablock with exactly 'signed' and 'signatures', or a DSSE envelope, "
            f"got keys {sorted(document)}",
        )
    signed = document["signed"]
    if not isinstance(signed, dict):
        raise _fail(source, "expected 'signed' to be a JSON object")
    _check_type(signed, source)
    return SignedMetadata(
        source=source,
        envelope="metablock",
        signed=signed,
        payload=_canonical(signed, source),
        payload_type=None,
        signatures=_metablock_signatures(document["signatures"], source),
    )


def read_metadata(path: Path) -> SignedMetadata:
    """Read and parse a metadata file. Unreadable: `InputError`; too large or malformed:
    `EvidenceError`."""
    data = read_bounded(path, MAX_METADATA_BYTES, "in-toto metadata")
    if data is None:
        raise _fail(str(path), f"larger than {MAX_METADATA_BYTES} bytes; not in-toto metadata")
    return parse_metadata(data, str(path))


# -- typed fields ---------------------------------------------------------------------------


def _list(value: object, where: str, source: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(source, f"{where}: expected a list, got {type(value).__name__}")
    if len(value) > limit:
        raise _fail(source, f"{where}: expected at most {limit} entries, got {len(value)}")
    return value


def _strings(value: object, where: str, source: str, limit: int) -> tuple[str, ...]:
    items = _list(value, where, source, limit)
    if not all(isinstance(item, str) for item in items):
        raise _fail(source, f"{where}: expected a list of strings")
    return tuple(items)


def _name(value: object, where: str, source: str) -> str:
    try:
        size = len(value.encode()) if isinstance(value, str) else 0
    except UnicodeEncodeError:  # a lone surrogate, which no file system name can hold
        size = 0
    if not (isinstance(value, str) and _NAME.fullmatch(value) and 0 < size <= MAX_NAME_BYTES) or (
        value in (".", "..")
    ):
        raise _fail(
            source,
            f"{where}: expected a name of 1 to {MAX_NAME_BYTES} UTF-8 bytes without path "
            f"separators or control characters, got {value!r}",
        )
    return value


def _take(tokens: list[str], keyword: str) -> bool:
    if tokens and tokens[0].upper() == keyword:
        tokens.pop(0)
        return True
    return False


def _match_rule(pattern: str, rest: list[str], text: str) -> ArtifactRule | None:
    # MATCH <pattern> [IN <prefix>] WITH (MATERIALS|PRODUCTS) [IN <prefix>] FROM <step>
    tokens = list(rest)
    source_prefix = tokens.pop(0) if _take(tokens, "IN") and tokens else ""
    if not _take(tokens, "WITH") or not tokens:
        return None
    dest = tokens.pop(0).upper()
    if dest not in ("MATERIALS", "PRODUCTS"):
        return None
    dest_prefix = tokens.pop(0) if _take(tokens, "IN") and tokens else ""
    if not _take(tokens, "FROM") or len(tokens) != 1:
        return None
    return ArtifactRule(
        kind="MATCH",
        pattern=pattern,
        text=text,
        source_prefix=source_prefix,
        dest_type="materials" if dest == "MATERIALS" else "products",
        dest_prefix=dest_prefix,
        dest_name=tokens[0],
    )


def _rule(raw: object, where: str, source: str) -> ArtifactRule:
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) for t in raw):
        raise _fail(source, f"{where}: expected a rule as a non-empty list of strings")
    text = " ".join(raw)
    kind = raw[0].upper()  # in-toto reads rule keywords case-insensitively
    if kind not in _RULE_KINDS:
        raise _fail(source, f"{where}: expected a rule of {', '.join(_RULE_KINDS)}, got {text!r}")
    if kind == "MATCH":
        rule = _match_rule(raw[1], raw[2:], text) if len(raw) >= 2 else None
        if rule is None:
            raise _fail(
                source,
                f"{where}: expected MATCH <pattern> [IN <prefix>] WITH (MATERIALS|PRODUCTS) "
                f"[IN <prefix>] FROM <step>, got {text!r}",
            )
        return rule
    if len(raw) != 2:
        raise _fail(source, f"{where}: expected {kind} <pattern>, got {text!r}")
    return ArtifactRule(kind=cast(RuleKind, kind), pattern=raw[1], text=text)


def _rules(value: object, where: str, source: str) -> tuple[ArtifactRule, ...]:
    items = _list(value, where, source, MAX_RULES)
    return tuple(_rule(raw, f"{where}[{i}]", source) for i, raw in enumerate(items))


def _artifacts(value: object, where: str, source: str) -> dict[str, dict[str, str]]:
    if not isinstance(value, dict):
        raise _fail(source, f"{where}: expected an object of path -> hashes")
    if len(value) > MAX_ARTIFACTS:
        raise _fail(
            source, f"{where}: expected at most {MAX_ARTIFACTS} artifacts, got {len(value)}"
        )
    artifacts: dict[str, dict[str, str]] = {}
    for path, hashes in value.items():
        if not path:
            raise _fail(source, f"{where}: empty artifact path")
        if (
            not isinstance(hashes, dict)
            or not hashes
            or not all(isinstance(v, str) and _HEX.fullmatch(v) for v in hashes.values())
        ):
            raise _fail(
                source, f"{where}[{path!r}]: expected a non-empty object of algorithm -> hex"
            )
        artifacts[path] = dict(hashes)
    return artifacts


def _object(value: object, where: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(source, f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def _expires(value: object, source: str) -> datetime:
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        raise _fail(source, f"expires: expected an RFC 3339 time with an offset, got {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise _fail(source, f"expires: not a valid time ({value!r})") from exc


def _step(raw: object, index: int, keys: Mapping[str, Any], source: str) -> Step:
    where = f"steps[{index}]"
    step = _object(raw, where, source)
    if step.get("_type", "step") != "step":
        raise _fail(source, f"{where}: expected _type 'step', got {step.get('_type')!r}")
    name = _name(step.get("name"), f"{where}.name", source)
    where = f"step {name!r}"
    pubkeys = _strings(step.get("pubkeys", []), f"{where}.pubkeys", source, MAX_KEYS)
    for keyid in pubkeys:
        if keyid not in keys:
            raise _fail(source, f"{where}: functionary key {keyid} is not in the layout's keys")
    threshold = step.get("threshold", 1)  # in-toto's default
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
        raise _fail(source, f"{where}: expected threshold >= 1, got {threshold!r}")
    return Step(
        name=name,
        pubkeys=tuple(dict.fromkeys(pubkeys)),
        threshold=threshold,
        expected_command=_strings(
            step.get("expected_command", []),
            f"{where}.expected_command",
            source,
            MAX_COMMAND_ARGUMENTS,
        ),
        expected_materials=_rules(
            step.get("expected_materials", []), f"{where}.expected_materials", source
        ),
        expected_products=_rules(
            step.get("expected_products", []), f"{where}.expected_products", source
        ),
        cert_constraints=parse_cert_constraints(
            step.get("cert_constraints"), f"{where}.cert_constraints", source
        ),
    )


def _inspection(raw: object, index: int, source: str) -> Inspection:
    where = f"inspect[{index}]"
    inspection = _object(raw, where, source)
    if inspection.get("_type", "inspection") != "inspection":
        raise _fail(source, f"{where}: expected _type 'inspection'")
    name = _name(inspection.get("name"), f"{where}.name", source)
    where = f"inspection {name!r}"
    run = _strings(inspection.get("run"), f"{where}.run", source, MAX_COMMAND_ARGUMENTS)
    if not run or not run[0]:
        raise _fail(source, f"{where}: expected a non-empty command in 'run'")
    return Inspection(
        name=name,
        run=run,
        expected_materials=_rules(
            inspection.get("expected_materials", []), f"{where}.expected_materials", source
        ),
        expected_products=_rules(
            inspection.get("expected_products", []), f"{where}.expected_products", source
        ),
    )


def parse_layout(metadata: SignedMetadata) -> Layout:
    """The layout's known fields, strictly; raises `EvidenceError` if any is malformed."""
    source, signed = metadata.source, metadata.signed
    if metadata.kind != "layout":
        raise _fail(source, f"expected a layout, got _type {metadata.kind!r}")
    for required in ("expires", "keys", "steps"):
        if required not in signed:
            raise _fail(source, f"layout has no {required!r}")
    keys = _object(signed["keys"], "keys", source)
    if len(keys) > MAX_KEYS:
        raise _fail(source, f"keys: expected at most {MAX_KEYS} keys, got {len(keys)}")
    for keyid, key in keys.items():
        if not _KEYID.fullmatch(keyid):
            raise _fail(source, f"keys: expected key IDs as 64 lowercase hex digits, got {keyid!r}")
        _object(key, f"keys[{keyid[:8]}]", source)
    steps = tuple(
        _step(raw, i, keys, source)
        for i, raw in enumerate(_list(signed["steps"], "steps", source, MAX_STEPS))
    )
    inspections = tuple(
        _inspection(raw, i, source)
        for i, raw in enumerate(_list(signed.get("inspect", []), "inspect", source, MAX_STEPS))
    )
    names = [step.name for step in steps] + [item.name for item in inspections]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise _fail(source, f"expected unique step and inspection names, got {duplicates}")
    readme = signed.get("readme", "")
    if not isinstance(readme, str):
        raise _fail(source, "readme: expected a string")
    return Layout(
        expires=_expires(signed["expires"], source),
        keys=keys,
        steps=steps,
        inspections=inspections,
        readme=readme,
        root_cas=parse_cas(signed.get("rootcas"), "rootcas", source),
        intermediate_cas=parse_cas(signed.get("intermediatecas"), "intermediatecas", source),
    )


def parse_link(metadata: SignedMetadata) -> Link:
    """The link's known fields, strictly; raises `EvidenceError` if any is malformed."""
    source, signed = metadata.source, metadata.signed
    if metadata.kind != "link":
        raise _fail(source, f"expected a link, got _type {metadata.kind!r}")
    name = signed.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(source, "link: expected a non-empty 'name'")
    return Link(
        name=name,
        command=_strings(signed.get("command", []), "command", source, MAX_COMMAND_ARGUMENTS),
        materials=_artifacts(signed.get("materials", {}), "materials", source),
        products=_artifacts(signed.get("products", {}), "products", source),
        byproducts=_object(signed.get("byproducts", {}), "byproducts", source),
        environment=_object(signed.get("environment", {}), "environment", source),
    )
