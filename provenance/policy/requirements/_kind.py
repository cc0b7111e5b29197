"""What one requirement kind declares (see the package's docstring for how kinds are found)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from provenance.policy._yaml import JsonPath
from provenance.policy.requirements._entry import Entry

__all__ = [
    "RequirementHelp",
    "RequirementKind",
    "RequirementSpec",
    "Weakening",
    "Weaker",
    "raised_limit",
]


class RequirementSpec:
    """A kind's settings, typed: each kind's spec is a frozen dataclass deriving from this.

    Parsed once, when the policy loads; rules are compiled from it and never see the file's
    data. Specs are immutable, so a segment's and its parent's may be the same object.
    """

    __slots__ = ()


S = TypeVar("S", bound=RequirementSpec)


class Weaker(NamedTuple):
    """One way a segment's own entry is weaker than the one it replaces."""

    setting: str  # the key compared: not compared where either entry's value fails the schema
    at: JsonPath  # where, below the entry: the setting, or () where the entry lacks it
    problem: str  # "expected X, got Y"


Weakening = list[Weaker]


def raised_limit(setting: str, inherited: int | None, own: int | None, note: str = "") -> Weakening:
    """An upper limit (`max_...`) that a segment's own entry raises, or drops (`note`: why
    dropping it counts)."""
    if inherited is None:
        return []
    if own is None:
        return [Weaker(setting, (), f"expected {setting} at most {inherited}, got none{note}")]
    if own > inherited:
        return [Weaker(setting, (setting,), f"expected at most {inherited}, got {own}")]
    return []


@dataclass(frozen=True)
class RequirementHelp:
    """What a requirement asks for and what to do when it fails, for people reading a report
    (SARIF rule help, the Markdown and HTML reports)."""

    short: str  # a title: what it requires
    full: str  # what it requires, in a sentence or two
    remedy: str  # what to do when it fails


def nothing_weaker(inherited: RequirementSpec, own: RequirementSpec) -> Weakening:
    """For kinds with no order between their entries (which of two lists is stricter?)."""
    return []


@dataclass(frozen=True)
class RequirementKind(Generic[S]):
    """One kind of requirement, as the policy stage knows it.

    - `name`: its key under a segment's `require`.
    - `schema`: where its JSON Schema is, in `schema/policy-v1.schema.json` (a JSON pointer).
    - `parse(entry)`: the spec of one segment's own entry. It also reports, through the
      entry, what the schema cannot check (names the policy does not declare, counts no one
      can meet, dates, specifiers, patterns): errors stop the policy loading, warnings are
      for `provenance policy lint`. It must read values of the wrong shape as absent (see
      `Entry`), and keep building the spec past an error, so that lint can still compare it.
    - `weakening(inherited, own)`: how a segment's own entry is weaker than the one it
      replaces, in clear cases only, each `Weaker` naming the setting it compares (lint
      leaves out a setting whose value fails the schema in either entry).
    - `help`: what it requires and what to do when it fails.
    """

    name: str
    schema: str
    spec: type[S]
    parse: Callable[[Entry], S]
    help: RequirementHelp
    weakening: Callable[[S, S], Weakening] = nothing_weaker
