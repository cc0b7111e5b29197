"""Requirement kinds: what a segment's `require` may ask of an artifact, one module per kind.

The policy schema names the kinds: `$defs/require/properties` of `schema/policy-v1.schema.json`,
in the order their findings are reported. Each name is also
- a module of this package, whose `KIND` (a `RequirementKind`) points at the kind's schema,
  parses an entry once, when the policy loads, into a typed and frozen spec (checking what the
  schema cannot), says how an entry is weaker than the one it replaces, and carries the help
  text reports show;
- a module of the same name in `provenance.decision.requirements`, whose `RULE` compiles the
  spec into the rule that judges facts and says, for `policy explain`, what it enforces.
So everything that reads requirements (the loader, lint, rules, reports) reads this registry,
and adding a kind touches three files: docs/architecture.md, "Adding a requirement kind".
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from importlib import import_module
from types import MappingProxyType
from typing import Any

from provenance.policy._schema import SCHEMA_V1, load_schema, schema_problems
from provenance.policy._yaml import JsonPath, YamlDocument
from provenance.policy.requirements._effective import Requirements
from provenance.policy.requirements._entry import CheckContext, Entry
from provenance.policy.requirements._kind import (
    RequirementHelp,
    RequirementKind,
    RequirementSpec,
    Weakening,
    Weaker,
)
from provenance.policy.requirements._values import Day, VersionRange

__all__ = [
    "CheckContext",
    "Day",
    "Entry",
    "RequirementHelp",
    "RequirementKind",
    "RequirementSpec",
    "Requirements",
    "VersionRange",
    "Weakening",
    "Weaker",
    "read_requirements",
    "requirement_kinds",
]


@functools.cache
def requirement_kinds() -> Mapping[str, RequirementKind[Any]]:
    """Every kind by name, in the schema's order (the order findings are reported)."""
    kinds: dict[str, RequirementKind[Any]] = {}
    for name in load_schema(SCHEMA_V1)["$defs"]["require"]["properties"]:
        kind = getattr(import_module(f"{__name__}.{name}"), "KIND", None)
        if not isinstance(kind, RequirementKind) or kind.name != name:
            raise TypeError(f"{__name__}.{name} must define KIND, a RequirementKind named {name}")
        kinds[name] = kind
    return MappingProxyType(kinds)


class _Alone:
    """A `require` mapping read without a policy: no names to check, errors collected."""

    vendors: Collection[str] | None = None
    groups: Mapping[str, int] | None = None
    products: Collection[str] | None = None

    def __init__(self, document: YamlDocument) -> None:
        self.document = document
        self.errors = schema_problems(document, SCHEMA_V1, "#/$defs/require")

    def error(self, path: JsonPath, problem: str) -> None:
        self.errors.append(self.document.error(path, problem))

    def warn(self, path: JsonPath, problem: str) -> None:
        pass


def read_requirements(require: Mapping[str, Any], source: str = "require") -> Requirements:
    """A `require` mapping on its own, as a segment of a policy would have it (but with no
    vendor, group or product names to check it against): for tests, and tools that compile
    rules without a policy file. Raises `PolicyError` for its first problem."""
    context = _Alone(YamlDocument(source, dict(require), {}))
    kinds = requirement_kinds()
    specs = {
        name: kinds[name].parse(Entry(context, (name,), value))
        for name, value in require.items()
        if name in kinds
    }
    if context.errors:
        raise context.errors[0]
    return Requirements(specs)
