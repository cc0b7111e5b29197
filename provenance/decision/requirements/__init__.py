"""The rules of requirement kinds: for each kind of `provenance.policy.requirements`, the module
of the same name here, whose `RULE` compiles the kind's typed spec into a rule (which also says
what it enforces, for `policy explain`). `baseline` holds the rules every segment starts with.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from provenance.decision.requirements.baseline import VendorSignature
from provenance.decision.rules import Rule
from provenance.policy.requirements import Requirements, RequirementSpec, requirement_kinds

__all__ = ["RuleKind", "VendorSignature", "compile_requirement", "compile_requirements"]

S = TypeVar("S", bound=RequirementSpec)


@dataclass(frozen=True)
class RuleKind(Generic[S]):
    """How one kind's spec becomes its rule. `compile(spec, requirements)`: `requirements` are
    the segment's effective ones, for a kind that depends on another (`from` defaults to the
    vendors of `signed_by`: `Requirements.vendors_counted`)."""

    spec: type[S]
    compile: Callable[[S, Requirements], Rule]


@functools.cache
def _rule_kinds() -> Mapping[type[RequirementSpec], RuleKind[Any]]:
    rules: dict[type[RequirementSpec], RuleKind[Any]] = {}
    for name, kind in requirement_kinds().items():
        rule = getattr(import_module(f"{__name__}.{name}"), "RULE", None)
        if not isinstance(rule, RuleKind) or rule.spec is not kind.spec:
            raise TypeError(f"{__name__}.{name} must define RULE, a RuleKind of {kind.spec}")
        rules[kind.spec] = rule
    return MappingProxyType(rules)


def compile_requirement(spec: RequirementSpec, requirements: Requirements) -> Rule:
    return _rule_kinds()[type(spec)].compile(spec, requirements)


def compile_requirements(requirements: Requirements) -> list[Rule]:
    """A rule for each requirement, in the registry's order: who signed, when, how it was
    built, what is in it, what version, history, then people."""
    return [
        compile_requirement(requirements[name], requirements)
        for name in requirement_kinds()
        if name in requirements
    ]
