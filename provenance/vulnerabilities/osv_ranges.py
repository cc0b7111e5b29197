"""Is a component version affected by one OSV `affected` entry?

The OSV evaluation (schema "Evaluation" section), made total: every answer is AFFECTED,
NOT_AFFECTED or UNDETERMINED, and UNDETERMINED (a version that cannot be ordered, a missing
version, an entry that says nothing) is never folded into "not affected".

Algorithm (`evaluate`):
1. Explicit list: the version is in `versions` as written -> AFFECTED ("versions").
   For PyPI a PEP 440-equal spelling also counts (`2.0` is `2.0.0`).
2. Each ECOSYSTEM/SEMVER range, when the component has a version:
   a. `limit` events: the version must be below at least one of them (`*` is infinity);
      with no limit events there is no bound.
   b. Sort the events by version, `introduced: "0"` first ("before any version", so it covers
      pre-releases such as `0.0.0.dev3` and `0.0.0-0`); on a tie `introduced` comes first so
      that `introduced: X, fixed: X` is empty.
   c. Walk them: introduced <= v -> affected; fixed <= v -> not; last_affected < v -> not.
   d. A version (the component's or an event's) the ecosystem cannot order -> UNDETERMINED.
3. Each GIT range, only when the component carries a commit (a version never matches a commit
   range). Offline there is no commit graph, so only identity decides: the commit equals an
   `introduced`/`last_affected` commit -> AFFECTED; equals a `fixed`/`limit` commit -> not
   affected by that range; anything else -> no answer from this range.
4. Combine: any AFFECTED wins; else any UNDETERMINED; else, if the entry had a way to decide
   (a range that answered, or a versions list), NOT_AFFECTED; else UNDETERMINED (for
   example an entry with neither ranges nor versions, or a GIT-only entry and no commit).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from provenance.vulnerabilities.osv_records import Affected, Event, Range
from provenance.vulnerabilities.versions import UncomparableVersion, VersionKey, version_key

__all__ = ["MatchKind", "Outcome", "Verdict", "evaluate", "range_affects"]

MatchKind = Literal["versions", "range", "git-commit", "undetermined", "not-affected"]

_TIE_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 1, "limit": 1}


class Outcome(enum.Enum):
    AFFECTED = "affected"
    NOT_AFFECTED = "not-affected"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    kind: MatchKind
    detail: str  # which event or list decided, or why nothing could be decided


def _affected(kind: MatchKind, detail: str) -> Verdict:
    return Verdict(Outcome.AFFECTED, kind, detail)


def _undetermined(detail: str) -> Verdict:
    return Verdict(Outcome.UNDETERMINED, "undetermined", detail)


def evaluate(
    entry: Affected, version: str | None, commit: str | None = None, *, use_list: bool = True
) -> Verdict:
    """The verdict for one component version (and optional commit) against `entry`.

    `use_list=False` skips step 1 (used to check ranges against the lists in tests)."""
    # 1. The explicit list.
    listed = use_list and bool(entry.versions) and version is not None
    if listed and version is not None and _listed(entry, version):
        return _affected("versions", f"version {version} is listed as affected")
    # 2-3. The ranges.
    answers = _range_answers(entry, version, commit)
    for outcome in (Outcome.AFFECTED, Outcome.UNDETERMINED):
        found = next((answer for answer in answers if answer.outcome is outcome), None)
        if found is not None:
            return found
    # 4. Nothing affected: was there anything to decide with?
    if answers or listed:
        return Verdict(Outcome.NOT_AFFECTED, "not-affected", f"version {version} is outside")
    if not entry.ranges and not entry.versions:
        return _undetermined("the entry lists neither ranges nor versions")
    if version is None:
        return _undetermined("the component has no version to compare with the versions list")
    return _undetermined("only GIT ranges apply and the component carries no commit")


def _range_answers(entry: Affected, version: str | None, commit: str | None) -> list[Verdict]:
    """One verdict per range that could answer, prefixed with the range's position."""
    answers: list[Verdict] = []
    for number, item in enumerate(entry.ranges):
        if item.type == "GIT":
            answer = _git(item, commit)
            if answer is None:
                continue
        elif version is None:
            answer = _undetermined("the component has no version to compare with the range")
        else:
            answer = range_affects(item, entry.base_ecosystem, version)
        answers.append(Verdict(answer.outcome, answer.kind, f"ranges[{number}]: {answer.detail}"))
        if answer.outcome is Outcome.AFFECTED:
            break
    return answers


def _listed(entry: Affected, version: str) -> bool:
    if version in entry.versions:
        return True
    if entry.base_ecosystem != "PyPI":
        return False
    try:
        wanted = version_key("PyPI", version)
    except UncomparableVersion:
        return False
    for listed in entry.versions:
        try:
            if version_key("PyPI", listed) == wanted:
                return True
        except UncomparableVersion:
            continue  # an unorderable listed version can only match as written (above)
    return False


def _git(item: Range, commit: str | None) -> Verdict | None:
    if commit is None:
        return None
    wanted = commit.lower()
    for event in item.events:
        if event.value.lower() != wanted:
            continue
        if event.kind in ("introduced", "last_affected"):
            return _affected("git-commit", f"commit {commit} is the {event.kind} commit")
        return Verdict(Outcome.NOT_AFFECTED, "not-affected", f"commit {commit} is {event.kind}")
    return None


def range_affects(item: Range, ecosystem: str, version: str) -> Verdict:
    """Steps 2a-2d for one ECOSYSTEM or SEMVER range."""
    scheme = ecosystem
    if item.type == "SEMVER" and ecosystem not in ("Go", "npm", "crates.io"):
        scheme = "crates.io"  # plain SemVer 2.0 for any ecosystem whose range says SEMVER
    try:
        current = version_key(scheme, version)
        keyed = [(_event_key(scheme, event), event) for event in item.events]
    except UncomparableVersion as exc:
        return _undetermined(str(exc))
    # 2a. Limits.
    limits = [key for key, event in keyed if event.kind == "limit"]
    if limits and not any(key is _INFINITY or current < key for key in limits):
        return Verdict(Outcome.NOT_AFFECTED, "not-affected", f"{version} is at or above limits")
    # 2b. Sort ("0" and "*" are the two ends), ties: introduced first.
    ordered = sorted(
        (pair for pair in keyed if pair[1].kind != "limit"),
        key=lambda pair: (_rank(pair[0]), _TIE_ORDER[pair[1].kind]),
    )
    # 2c. Walk.
    affected_by: Event | None = None
    for key, event in ordered:
        if event.kind == "introduced":
            if key is _ZERO or key <= current:
                affected_by = event
        elif event.kind == "fixed":
            if key is not _ZERO and key <= current:
                affected_by = None
        elif event.kind == "last_affected" and key is not _ZERO and key < current:
            affected_by = None
    if affected_by is None:
        return Verdict(Outcome.NOT_AFFECTED, "not-affected", f"{version} is outside the range")
    bounds = ", ".join(f"{event.kind} {event.value}" for event in item.events)
    return _affected("range", f"{item.type} range {bounds} contains {version}")


class _End:
    """The two special event values: "0" (before everything) and "*" (after everything)."""

    def __init__(self, name: str) -> None:
        self.name = name


_ZERO = _End("0")
_INFINITY = _End("*")


def _event_key(scheme: str, event: Event) -> VersionKey | _End:
    if event.value == "0" and event.kind == "introduced":
        return _ZERO
    if event.value == "*" and event.kind == "limit":
        return _INFINITY
    return version_key(scheme, event.value)


class _Rank:
    """Sort wrapper: _ZERO below every key, _INFINITY above, keys by their own order."""

    __slots__ = ("key",)

    def __init__(self, key: VersionKey | _End) -> None:
        self.key = key

    def __lt__(self, other: _Rank) -> bool:
        if self.key is other.key:
            return False
        if self.key is _ZERO or other.key is _INFINITY:
            return True
        if other.key is _ZERO or self.key is _INFINITY:
            return False
        assert not isinstance(self.key, _End)
        assert not isinstance(other.key, _End)
        return bool(self.key < other.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rank) and not (self < other) and not (other < self)

    __hash__ = None  # type: ignore[assignment]


def _rank(key: VersionKey | _End) -> _Rank:
    return _Rank(key)
