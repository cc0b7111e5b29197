"""npm registry attestations (`GET /-/npm/v1/attestations/NAME@VERSION`), parsed strictly.

The registry serves `{"attestations": [{"predicateType": ..., "bundle": {...}}, ...]}`: a
publish attestation (npm's own statement that it accepted NAME@VERSION with this tarball,
signed by a registry key named by `keyid`) and, for packages built with provenance, SLSA
provenance signed keylessly by the CI's identity. Each `bundle` is a Sigstore bundle and goes
through the same strict parser as any other; `predicateType` and `keyid` are the registry's
unsigned labels, used only to choose how to verify and to say what failed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from provenance.errors import EvidenceError, InputError
from provenance.evidence.json_input import MalformedJson, load_json
from provenance.evidence.sigstore_bundle import MAX_BUNDLE_BYTES, ParsedBundle, parse_bundle
from provenance.inputs.files import read_bounded

__all__ = [
    "NPM_PUBLISH_V01",
    "SLSA_PROVENANCE_TYPES",
    "NpmAttestation",
    "NpmPackage",
    "is_npm_attestations",
    "parse_npm_attestations",
    "read_npm_attestations",
]

NPM_PUBLISH_V01 = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
SLSA_PROVENANCE_TYPES = ("https://slsa.dev/provenance/v0.2", "https://slsa.dev/provenance/v1")
# The registry serves one publish and one provenance attestation per version.
MAX_ATTESTATIONS = 8
# validate-npm-package-name (validForOldPackages): URL-safe, at most 214 characters, scoped
# names as @scope/name. Exact versions only, as `npm audit signatures` needs for a purl.
_NAME = re.compile(r"(@[A-Za-z0-9][A-Za-z0-9._~-]*/)?[A-Za-z0-9_][A-Za-z0-9._~-]*")
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
)


@dataclass(frozen=True)
class NpmPackage:
    """The package the operator expects: NAME@VERSION, as a lockfile names it."""

    name: str
    version: str

    @classmethod
    def parse(cls, spec: str) -> NpmPackage:
        """`name@1.2.3` or `@scope/name@1.2.3`; `InputError` for anything else."""
        name, at, version = spec.rpartition("@")
        if not at or not _NAME.fullmatch(name) or len(name) > 214:
            raise InputError(
                f"{spec[:100]!r}: expected an npm package as NAME@VERSION (NAME may be @scope/name)"
            )
        if not _SEMVER.fullmatch(version):
            raise InputError(
                f"{spec[:100]!r}: expected an exact version (such as 1.2.3), got {version[:40]!r}"
            )
        return cls(name, version)

    @property
    def purl(self) -> str:
        """The subject name npm signs: `npa.toPurl`, a scope's `@` written `%40`."""
        name = "%40" + self.name[1:] if self.name.startswith("@") else self.name
        return f"pkg:npm/{name}@{self.version}"

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class NpmAttestation(ParsedBundle):
    """One bundle of the registry's attestations, with the registry's labels."""

    predicate_type: str = ""  # as the registry labels it (unsigned)
    keyid: str = ""  # the DSSE signature's keyid: which registry key signed ("" if none)


def is_npm_attestations(document: Any) -> bool:
    """Whether a parsed JSON document has the registry's shape (recognition only)."""
    return isinstance(document, dict) and set(document) == {"attestations"}


def read_npm_attestations(path: Path) -> tuple[NpmAttestation, ...]:
    data = read_bounded(path, MAX_BUNDLE_BYTES, "npm attestations")
    if data is None:
        raise EvidenceError(
            f"npm attestations are larger than the {MAX_BUNDLE_BYTES}-byte limit",
            check="bundle",
        )
    return parse_npm_attestations(data, str(path))


def parse_npm_attestations(data: bytes, source: str) -> tuple[NpmAttestation, ...]:
    try:
        document = load_json(data)
    except MalformedJson as exc:
        raise EvidenceError(f"npm attestations: not JSON ({exc})", check="bundle") from exc
    where = "npm attestations"
    if not is_npm_attestations(document):
        raise EvidenceError(
            f'{where}: expected an object with exactly one key, "attestations"', check="bundle"
        )
    items = document["attestations"]
    if not isinstance(items, list) or not items:
        raise EvidenceError(f"{where}: expected a non-empty list of attestations", check="bundle")
    if len(items) > MAX_ATTESTATIONS:
        raise EvidenceError(
            f"{where}: expected at most {MAX_ATTESTATIONS} attestations, got {len(items)}",
            check="bundle",
        )
    parsed = tuple(
        _attestation(item, f"{where}[{index}]", f"{source}#{index + 1}")
        for index, item in enumerate(items)
    )
    labels = [a.predicate_type for a in parsed]
    if len(set(labels)) != len(labels):
        raise EvidenceError(f"{where}: a predicate type is listed twice", check="bundle")
    return parsed


def _attestation(item: Any, where: str, source: str) -> NpmAttestation:
    if not isinstance(item, dict) or set(item) != {"predicateType", "bundle"}:
        raise EvidenceError(f"{where}: expected exactly predicateType and bundle", check="bundle")
    predicate_type, bundle = item["predicateType"], item["bundle"]
    if not isinstance(predicate_type, str) or not predicate_type:
        raise EvidenceError(f"{where}: predicateType: expected text", check="bundle")
    if not isinstance(bundle, dict):
        raise EvidenceError(f"{where}: bundle: expected an object", check="bundle")
    try:
        parsed = parse_bundle(json.dumps(bundle).encode(), source)
    except EvidenceError as exc:
        raise EvidenceError(f"{where} ({predicate_type[:80]}): {exc}", check="bundle") from exc
    keyid = _keyid(bundle)
    if parsed.key_hint is not None and parsed.key_hint != keyid:
        raise EvidenceError(
            f"{where}: the bundle's key hint {parsed.key_hint[:80]!r} and the signature's keyid "
            f"{keyid[:80]!r} disagree",
            check="bundle",
        )
    values = {field.name: getattr(parsed, field.name) for field in fields(ParsedBundle)}
    return NpmAttestation(**values, predicate_type=predicate_type, keyid=keyid)


def _keyid(bundle: dict[str, Any]) -> str:
    """The DSSE signature's keyid (the bundle parser has checked there is one signature)."""
    envelope = bundle.get("dsseEnvelope")
    if not isinstance(envelope, dict):
        return ""
    signature = envelope["signatures"][0]
    keyid = signature.get("keyid", "") if isinstance(signature, dict) else ""
    return keyid if isinstance(keyid, str) else ""
