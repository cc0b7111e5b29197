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

from packaging.utils import canonicalize_version

from provenance.vulnerabilities.osv_records import Affected, Event, Range
from provenance.vulnerabilities.versions import UncomparableVersion, VersionKey, version_key

__all__ = [
    "CompiledEntry",
    "MatchKind",
    "Outcome",
    "Probe",
    "Verdict",
    "compile_entry",
    "evaluate",
    "range_affects",
]

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


@dataclass(frozen=True, slots=True)
class _CompiledRange:
    """One range with its event versions ordered once (step 2b), or why they cannot be."""

    number: int
    item: Range
    scheme: str
    walk: tuple[tuple[VersionKey | _End, Event], ...]  # sorted, limits excluded
    limits: tuple[VersionKey | _End, ...]
    error: str | None  # an event version the scheme cannot order
    bounds: str  # "ECOSYSTEM range introduced 0, fixed 1.2", for match details


@dataclass(frozen=True, slots=True)
class CompiledEntry:
    """An `affected` entry prepared for many evaluations (`compile_entry`)."""

    entry: Affected
    listed: frozenset[str]
    listed_pep440: frozenset[str]  # PyPI: the listed versions' normal forms
    ranges: tuple[_CompiledRange, ...]


def compile_entry(entry: Affected) -> CompiledEntry:
    """Parse and sort every event version once; matching evaluates one entry many times."""
    normal: set[str] = set()
    if entry.base_ecosystem == "PyPI":
        for listed in entry.versions:
            try:
                normal.add(canonicalize_version(str(version_key("PyPI", listed))))
            except UncomparableVersion:
                continue  # an unorderable listed version can only match as written
    ranges = tuple(
        _compile_range(number, item, entry.base_ecosystem)
        for number, item in enumerate(entry.ranges)
    )
    return CompiledEntry(entry, frozenset(entry.versions), frozenset(normal), ranges)


def _compile_range(number: int, item: Range, ecosystem: str) -> _CompiledRange:
    scheme = ecosystem
    if item.type == "SEMVER" and ecosystem not in ("Go", "npm", "crates.io"):
        scheme = "crates.io"  # plain SemVer 2.0 for any ecosystem whose range says SEMVER
    bounds = f"{item.type} range " + ", ".join(f"{e.kind} {e.value}" for e in item.events)
    if item.type == "GIT":
        return _CompiledRange(number, item, scheme, (), (), None, bounds)
    try:
        keyed = [(_event_key(scheme, event), event) for event in item.events]
    except UncomparableVersion as exc:
        return _CompiledRange(number, item, scheme, (), (), str(exc), bounds)
    walk = sorted(
        (pair for pair in keyed if pair[1].kind != "limit"),
        key=lambda pair: (_rank(pair[0]), _TIE_ORDER[pair[1].kind]),
    )
    limits = tuple(key for key, event in keyed if event.kind == "limit")
    return _CompiledRange(number, item, scheme, tuple(walk), limits, None, bounds)


@dataclass(frozen=True, slots=True)
class Unorderable:
    reason: str


class Probe:
    """One component version (and commit), its keys per version scheme computed once and
    reused against every entry of its package."""

    __slots__ = ("_keys", "_pep440", "commit", "version")

    def __init__(self, version: str | None, commit: str | None = None) -> None:
        self.version = version
        self.commit = commit
        self._keys: dict[str, VersionKey | Unorderable] = {}
        self._pep440: bool | str | None = False  # False: not computed yet

    @property
    def pep440(self) -> str | None:
        """The PEP 440 normal form (`2.0` for `2.0.0`... as packaging prints it), if any."""
        if self._pep440 is False:
            key = None if self.version is None else self.key("PyPI")
            self._pep440 = (
                None
                if key is None or isinstance(key, Unorderable)
                else canonicalize_version(str(key))
            )
        assert not isinstance(self._pep440, bool)
        return self._pep440

    def key(self, scheme: str) -> VersionKey | Unorderable:
        """The version's key in `scheme`, or why it has none."""
        found = self._keys.get(scheme)
        if found is None:
            assert self.version is not None
            try:
                found = version_key(scheme, self.version)
            except UncomparableVersion as exc:
                found = Unorderable(str(exc))
            self._keys[scheme] = found
        return found


_OUTSIDE = Verdict(Outcome.NOT_AFFECTED, "not-affected", "the version is outside every range")


def evaluate(
    entry: Affected | CompiledEntry,
    version: str | Probe | None,
    commit: str | None = None,
    *,
    use_list: bool = True,
) -> Verdict:
    """The verdict for one component version (and optional commit) against `entry`.

    `use_list=False` skips step 1 (used to check ranges against the lists in tests)."""
    compiled = entry if isinstance(entry, CompiledEntry) else compile_entry(entry)
    probe = version if isinstance(version, Probe) else Probe(version, commit)
    # 1. The explicit list.
    listed = use_list and bool(compiled.listed) and probe.version is not None
    if listed and (
        probe.version in compiled.listed
        or (bool(compiled.listed_pep440) and probe.pep440 in compiled.listed_pep440)
    ):
        return _affected("versions", f"version {probe.version} is listed as affected")
    # 2-3. The ranges: the first AFFECTED answer wins, else the first UNDETERMINED one.
    undetermined: Verdict | None = None
    answered = False
    for prepared in compiled.ranges:
        if prepared.item.type == "GIT":
            answer = _git(prepared.item, probe.commit)
            if answer is None:
                continue
        elif probe.version is None:
            answer = _undetermined("the component has no version to compare with the range")
        else:
            answer = _walk(prepared, probe)
        answered = True
        if answer.outcome is Outcome.NOT_AFFECTED:
            continue
        answer = Verdict(answer.outcome, answer.kind, f"ranges[{prepared.number}]: {answer.detail}")
        if answer.outcome is Outcome.AFFECTED:
            return answer
        undetermined = undetermined or answer
    if undetermined is not None:
        return undetermined
    # 4. Nothing affected: was there anything to decide with?
    return _OUTSIDE if answered or listed else _nothing_to_decide(compiled, probe)


def _nothing_to_decide(compiled: CompiledEntry, probe: Probe) -> Verdict:
    if not compiled.ranges and not compiled.listed:
        return _undetermined("the entry lists neither ranges nor versions")
    if probe.version is None:
        return _undetermined("the component has no version to compare with the versions list")
    return _undetermined("only GIT ranges apply and the component carries no commit")


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
    return _walk(_compile_range(0, item, ecosystem), Probe(version))


def _walk(prepared: _CompiledRange, probe: Probe) -> Verdict:
    if prepared.error is not None:
        return _undetermined(prepared.error)
    current = probe.key(prepared.scheme)
    if isinstance(current, Unorderable):
        return _undetermined(current.reason)
    # 2a. Limits.
    if prepared.limits and not any(
        key is _INFINITY or (not isinstance(key, _End) and current < key) for key in prepared.limits
    ):
        return _OUTSIDE
    # 2c. Walk the events sorted in 2b.
    affected_by: Event | None = None
    for key, event in prepared.walk:
        # Only an `introduced` key can be _ZERO and only a `limit` key _INFINITY.
        if key is not _ZERO and (isinstance(key, _End) or current < key):
            break  # sorted: no later event applies either
        if event.kind == "introduced":
            affected_by = event
        elif event.kind == "fixed" or (event.kind == "last_affected" and key != current):
            affected_by = None
    if affected_by is None:
        return _OUTSIDE
    return _affected("range", f"{prepared.bounds} contains {probe.version}")


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
