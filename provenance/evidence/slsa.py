"""SLSA predicates, parsed strictly: build provenance (v0.2, v1) and verification summaries
(VSA v0.2, v1), normalised into the claims a policy checks.

Only fields the specifications define are read, and each is type-checked; a predicate of the
wrong shape is malformed evidence. Fields the policy does not check are kept in the raw
predicate (`AttestationFact.predicate`) for the record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from provenance.errors import EvidenceError

__all__ = [
    "PROVENANCE_TYPES",
    "VSA_TYPES",
    "BuildProvenance",
    "VerificationSummary",
    "parse_predicate",
]

PROVENANCE_V02 = "https://slsa.dev/provenance/v0.2"
PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
VSA_V02 = "https://slsa.dev/verification_summary/v0.2"
VSA_V1 = "https://slsa.dev/verification_summary/v1"
PROVENANCE_TYPES = (PROVENANCE_V02, PROVENANCE_V1)
VSA_TYPES = (VSA_V02, VSA_V1)

_BUILD_LEVEL = re.compile(r"SLSA_BUILD_LEVEL_([0-3])")
# VSA v0.2 predates the build track: its SLSA_LEVEL_N is read as build level N.
_LEGACY_LEVEL = re.compile(r"SLSA_LEVEL_([0-4])")


@dataclass(frozen=True)
class BuildProvenance:
    """What a builder says it did: who built, how, and from which source."""

    predicate_version: Literal["v0.2", "v1"]
    builder_id: str
    build_type: str
    source_uri: str | None  # repository URI, without a `git+` prefix or `@ref`
    source_ref: str | None  # e.g. refs/tags/v4.2.1
    source_digest: Mapping[str, str] = field(default_factory=dict)
    external_parameters: Mapping[str, Any] = field(default_factory=dict)
    invocation_id: str | None = None


@dataclass(frozen=True)
class VerificationSummary:
    """What an upstream verifier says it checked about the subject."""

    predicate_version: Literal["v0.2", "v1"]
    verifier_id: str
    time_verified: datetime | None
    resource_uri: str
    policy_uri: str | None
    verification_result: Literal["PASSED", "FAILED"]
    verified_levels: tuple[str, ...]

    @property
    def build_level(self) -> int:
        """The highest SLSA build level the verifier vouches for (0 if none)."""
        levels = [0]
        for level in self.verified_levels:
            match = _BUILD_LEVEL.fullmatch(level)
            if match is None and self.predicate_version == "v0.2":
                match = _LEGACY_LEVEL.fullmatch(level)
            if match is not None:
                levels.append(min(int(match.group(1)), 3))
        return max(levels)


def parse_predicate(
    predicate_type: str, predicate: Any
) -> BuildProvenance | VerificationSummary | None:
    """Claims for the SLSA types; None for any other predicate type (kept opaque).

    Raises `EvidenceError` when a SLSA predicate does not have the shape its version defines.
    """
    reader = _READERS.get(predicate_type)
    if reader is None:
        return None
    return reader(_Fields(predicate, predicate_type))


class _Fields:
    """Typed access to one JSON object, with the path in every error."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise _malformed(where, "an object", value)
        self.value: dict[str, Any] = value
        self.where = where

    def _at(self, name: str) -> str:
        return f"{self.where}: {name}"

    def optional_text(self, name: str) -> str | None:
        return None if self.value.get(name) is None else self.required_text(name)

    def required_text(self, name: str) -> str:
        value = self.value.get(name)
        if not isinstance(value, str) or not value:
            raise _malformed(self._at(name), "a non-empty string", value)
        return value

    def obj(self, name: str) -> _Fields:
        return _Fields(self.value.get(name), self._at(name))

    def optional_obj(self, name: str) -> _Fields | None:
        return None if self.value.get(name) is None else self.obj(name)

    def mapping(self, name: str, *, required: bool = False) -> dict[str, Any]:
        child = self.obj(name) if required else self.optional_obj(name)
        return child.value if child is not None else {}

    def objects(self, name: str) -> list[_Fields]:
        value = self.value.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise _malformed(self._at(name), "a list", value)
        return [_Fields(item, f"{self._at(name)}[{i}]") for i, item in enumerate(value)]

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.value.get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _malformed(self._at(name), "a list of strings", value)
        return tuple(value)

    def digest(self, name: str) -> dict[str, str]:
        value = self.mapping(name)
        if not all(isinstance(v, str) for v in value.values()):
            raise _malformed(self._at(name), "a map of algorithm to hex string", value)
        return {str(k): v.lower() for k, v in value.items()}

    def time(self, name: str) -> datetime | None:
        text = self.optional_text(name)
        if text is None:
            return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise _malformed(self._at(name), "an RFC 3339 timestamp", text) from exc
        if parsed.tzinfo is None:
            raise _malformed(self._at(name), "a timestamp with a time zone", text)
        return parsed


def _malformed(where: str, expected: str, got: Any) -> EvidenceError:
    if got is None:
        shown = "nothing"
    elif isinstance(got, str | int | float | bool):
        shown = repr(got)
    else:
        shown = {"dict": "an object", "list": "a list"}.get(type(got).__name__, type(got).__name__)
    return EvidenceError(f"predicate {where}: expected {expected}, got {shown}", check="predicate")


def _split_git_uri(uri: str) -> tuple[str, str | None]:
    """`git+https://host/repo@refs/tags/v1` -> (`https://host/repo`, `refs/tags/v1`).

    Only an `@` in the path separates a ref: one in the authority (`ssh://git@host/`) does not.
    """
    uri = uri.removeprefix("git+")
    scheme, separator, rest = uri.partition("://")
    slash = rest.find("/") if separator else 0
    path_start = len(scheme) + len(separator) + slash if slash >= 0 else len(uri)
    at = uri.rfind("@")
    if at > path_start:
        return uri[:at], uri[at + 1 :] or None
    return uri, None


def _provenance_v1(fields: _Fields) -> BuildProvenance:
    definition = fields.obj("buildDefinition")
    run = fields.obj("runDetails")
    builder = run.obj("builder")
    external = definition.mapping("externalParameters", required=True)
    dependencies = definition.objects("resolvedDependencies")
    metadata = run.optional_obj("metadata")
    source_uri, source_ref, source_digest = _v1_source(external, dependencies)
    return BuildProvenance(
        predicate_version="v1",
        builder_id=builder.required_text("id"),
        build_type=definition.required_text("buildType"),
        source_uri=source_uri,
        source_ref=source_ref,
        source_digest=source_digest,
        external_parameters=external,
        invocation_id=metadata.optional_text("invocationId") if metadata else None,
    )


def _v1_source(
    external: Mapping[str, Any], dependencies: list[_Fields]
) -> tuple[str | None, str | None, dict[str, str]]:
    """Where the build's source came from, in the order builders write it down.

    1. GitHub Actions build types: `externalParameters.workflow.{repository, ref}`.
    2. `externalParameters.source` as a git URI (`git+https://...@ref`).
    3. The first resolved dependency with a git URI.
    """
    digests = {}
    for dependency in dependencies:
        uri = dependency.optional_text("uri")
        if uri is not None and uri.startswith("git+"):
            digests = dependency.digest("digest")
            break
    workflow = external.get("workflow")
    if isinstance(workflow, dict):
        repository, ref = workflow.get("repository"), workflow.get("ref")
        if isinstance(repository, str) and repository:
            return repository, ref if isinstance(ref, str) and ref else None, digests
    source = external.get("source")
    if isinstance(source, str) and source.startswith("git+"):
        return (*_split_git_uri(source), digests)
    for dependency in dependencies:
        uri = dependency.optional_text("uri")
        if uri is not None and uri.startswith("git+"):
            return (*_split_git_uri(uri), digests)
    return None, None, digests


def _provenance_v02(fields: _Fields) -> BuildProvenance:
    builder = fields.obj("builder")
    invocation = fields.optional_obj("invocation")
    source_uri = source_ref = None
    digest: dict[str, str] = {}
    parameters: dict[str, Any] = {}
    if invocation is not None:
        parameters = invocation.mapping("parameters")
        config = invocation.optional_obj("configSource")
        if config is not None:
            uri = config.optional_text("uri")
            if uri is not None:
                source_uri, source_ref = _split_git_uri(uri)
            digest = config.digest("digest")
    metadata = fields.optional_obj("metadata")
    return BuildProvenance(
        predicate_version="v0.2",
        builder_id=builder.required_text("id"),
        build_type=fields.required_text("buildType"),
        source_uri=source_uri,
        source_ref=source_ref,
        source_digest=digest,
        external_parameters=parameters,
        invocation_id=metadata.optional_text("buildInvocationId") if metadata else None,
    )


def _result(fields: _Fields) -> Literal["PASSED", "FAILED"]:
    result = fields.required_text("verificationResult")
    if result == "PASSED":
        return "PASSED"
    if result == "FAILED":
        return "FAILED"
    raise _malformed(f"{fields.where}: verificationResult", "PASSED or FAILED", result)


def _vsa(fields: _Fields, version: Literal["v0.2", "v1"]) -> VerificationSummary:
    verifier = fields.obj("verifier")
    policy = fields.obj("policy")
    if version == "v1":
        levels = fields.strings("verifiedLevels")
    else:  # v0.2 names one level, the policy's
        level = fields.optional_text("policyLevel")
        levels = (level,) if level else ()
    return VerificationSummary(
        predicate_version=version,
        verifier_id=verifier.required_text("id"),
        time_verified=fields.time("timeVerified"),
        resource_uri=fields.required_text("resourceUri"),
        policy_uri=policy.optional_text("uri"),
        verification_result=_result(fields),
        verified_levels=levels,
    )


_READERS: dict[str, Callable[[_Fields], BuildProvenance | VerificationSummary]] = {
    PROVENANCE_V02: _provenance_v02,
    PROVENANCE_V1: _provenance_v1,
    VSA_V02: lambda fields: _vsa(fields, "v0.2"),
    VSA_V1: lambda fields: _vsa(fields, "v1"),
}
