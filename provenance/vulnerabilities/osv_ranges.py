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
      For PyPI and the SemVer schemes (total orders) the walk is done once per range at
      compile time, giving the answer at and just above each event version (`Table`); a
      version is then answered by bisection. Maven and Debian ranges are walked each time.
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
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

from packaging.utils import canonicalize_version

from provenance.vulnerabilities.osv_records import Affected, Event, Range, Severity
from provenance.vulnerabilities.versions import UncomparableVersion, VersionKey, version_key

__all__ = [
    "BISECTABLE_SCHEMES",
    "CompiledEntry",
    "MatchKind",
    "Outcome",
    "Probe",
    "Table",
    "Verdict",
    "compile_entry",
    "evaluate",
    "evaluate_many",
    "range_affects",
    "tables_decide",
]

MatchKind = Literal["versions", "range", "git-commit", "undetermined", "not-affected"]

_TIE_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 1, "limit": 1}
# Distinct listed versions seen by one process; far above the distinct versions in OSV PyPI.
_NORMAL_CACHE_SIZE = 65536


class Outcome(enum.Enum):
    AFFECTED = "affected"
    NOT_AFFECTED = "not-affected"
    UNDETERMINED = "undetermined"


class Verdict(NamedTuple):
    """A named tuple: matching builds one per (version, entry) pair it evaluates."""

    outcome: Outcome
    kind: MatchKind
    detail: str  # which event or list decided, or why nothing could be decided


def _affected(kind: MatchKind, detail: str) -> Verdict:
    return Verdict(Outcome.AFFECTED, kind, detail)


def _undetermined(detail: str) -> Verdict:
    return Verdict(Outcome.UNDETERMINED, "undetermined", detail)


# Schemes whose keys (packaging `Version`, SemVer tuples) are totally ordered, with `!=`
# agreeing with that order: their ranges are evaluated by bisection (`Table`). Maven and
# Debian keys (univers) are walked event by event, exactly as step 2c says.
BISECTABLE_SCHEMES = frozenset({"PyPI", "Go", "crates.io", "npm"})


class Table(NamedTuple):
    """Step 2c precomputed for a totally ordered scheme: the walk's answer for every version.

    `keys` are the distinct event versions in order (equal ones grouped, `introduced: "0"`
    left out); `at[g]` is the answer for a version equal to `keys[g]`, `above[g]` for one
    between `keys[g]` and `keys[g + 1]`, `start` for one below `keys[0]`."""

    keys: tuple[VersionKey, ...]
    at: tuple[bool, ...]
    above: tuple[bool, ...]
    start: bool
    texts: tuple[str, ...]  # an event version as written for each key (`stored_tables`)


class _CompiledRange(NamedTuple):
    """One range with its event versions ordered once (step 2b), or why they cannot be."""

    number: int
    item: Range
    scheme: str
    walk: tuple[tuple[VersionKey | _End, Event], ...]  # sorted, limits excluded
    limits: tuple[VersionKey | _End, ...]
    error: str | None  # an event version the scheme cannot order
    bounds: str  # "ECOSYSTEM range introduced 0, fixed 1.2", for match details
    table: Table | None = None  # for `BISECTABLE_SCHEMES` schemes


@dataclass(frozen=True, slots=True)
class CompiledEntry:
    """An `affected` entry prepared for many evaluations (`compile_entry`), or only its
    tables (`complete` False: read back from the form `stored_tables` keeps at import)."""

    index: int  # the entry's position in its record's `affected` list
    listed: frozenset[str]
    listed_pep440: frozenset[str]  # PyPI: the listed versions' normal forms
    ranges: tuple[_CompiledRange, ...]
    # The common case, decided by tables alone: at least one ECOSYSTEM/SEMVER range, all of
    # them in one bisectable scheme, every event version orderable, no `limit`. For a probe
    # whose version orders in `scheme` (and with no commit when `has_git`), steps 2-4 reduce
    # to "the first table that says affected, else not affected".
    scheme: str | None
    tables: tuple[tuple[Table, str], ...]  # each with its detail prefix
    has_git: bool
    severity: tuple[Severity, ...]  # the entry's own
    # False: `ranges` is empty and only the tables are known, which decide only where
    # `tables_decide` says so; the full steps need the entry itself (`compile_entry`).
    complete: bool = True

    def tables_decide(self, probe: Probe) -> bool:
        """True if the tables alone answer for `probe` (the common case of `scheme`)."""
        return self.scheme is not None and tables_decide({self.scheme}, self.has_git, probe)


def tables_decide(schemes: Iterable[str], has_git: bool, probe: Probe) -> bool:
    """True if tables alone answer for `probe`, for entries whose tables are in `schemes`
    (`has_git`: one of them has a GIT range): the version orders in each scheme, and there
    is no commit for a GIT range to decide on."""
    return (
        probe.version is not None
        and (probe.commit is None or not has_git)
        and not any(isinstance(probe.key(scheme), Unorderable) for scheme in schemes)
    )


def compile_entry(entry: Affected) -> CompiledEntry:
    """Parse and sort every event version once; matching evaluates one entry many times."""
    normal: set[str] = set()
    if entry.base_ecosystem == "PyPI":
        for listed in entry.versions:
            form = _pep440_normal(listed)
            if form is not None:  # an unorderable listed version can only match as written
                normal.add(form)
    ranges = tuple(
        _compile_range(number, item, entry.base_ecosystem)
        for number, item in enumerate(entry.ranges)
    )
    ordered = [prepared for prepared in ranges if prepared.item.type != "GIT"]
    schemes = {prepared.scheme for prepared in ordered}
    simple = len(schemes) == 1 and all(
        prepared.table is not None and not prepared.limits for prepared in ordered
    )
    tables = tuple(
        (prepared.table, f"ranges[{prepared.number}]: {prepared.bounds} contains ")
        for prepared in ordered
        if prepared.table is not None
    )
    return CompiledEntry(
        entry.index,
        frozenset(entry.versions),
        frozenset(normal),
        ranges,
        schemes.pop() if simple else None,
        tables if simple else (),
        len(ordered) < len(ranges),
        entry.severity,
    )


@lru_cache(maxsize=_NORMAL_CACHE_SIZE)
def _pep440_normal(version: str) -> str | None:
    """The PEP 440 normal form packaging prints (`2` for `2.0.0`), None if not PEP 440.
    Cached: the same listed versions recur in every record of a package."""
    try:
        return canonicalize_version(str(version_key("PyPI", version)))
    except UncomparableVersion:
        return None


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
    # 2b. "0" first, then by version; on a tie `introduced` first, else as written (both
    # sorts are stable, and only `<` of the keys is used).
    zero = [pair for pair in keyed if pair[0] is _ZERO]
    rest: list[tuple[VersionKey, Event]] = []
    for key, event in keyed:
        if event.kind != "limit" and key is not _ZERO:
            assert not isinstance(key, _End)  # "*" is a `limit` value only
            rest.append((key, event))
    rest.sort(key=lambda pair: _TIE_ORDER[pair[1].kind])
    rest.sort(key=lambda pair: pair[0])
    walk = (*zero, *rest)
    limits = tuple(key for key, event in keyed if event.kind == "limit")
    table = _table(bool(zero), rest) if scheme in BISECTABLE_SCHEMES else None
    return _CompiledRange(number, item, scheme, walk, limits, None, bounds, table)


def _table(start: bool, ordered: list[tuple[VersionKey, Event]]) -> Table:
    """Step 2c for every version at once: walk the sorted events a group of equal versions
    at a time, keeping the answer at the group's version and just above it (they differ
    only by `last_affected`, which includes its own version)."""
    keys: list[VersionKey] = []
    texts: list[str] = []
    at: list[bool] = []
    above: list[bool] = []
    state = start
    position = 0
    while position < len(ordered):
        key = ordered[position][0]
        first = position
        equal = state
        while position < len(ordered) and not key < ordered[position][0]:
            kind = ordered[position][1].kind
            if kind == "introduced":
                equal = state = True
            elif kind == "fixed":
                equal = state = False
            else:  # last_affected: affected up to and including it
                state = False
            position += 1
        keys.append(key)
        texts.append(ordered[first][1].value)
        at.append(equal)
        above.append(state)
    return Table(tuple(keys), tuple(at), tuple(above), start, tuple(texts))


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
            self._pep440 = None if self.version is None else _pep440_normal(self.version)
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
    # 2. The common case (see `CompiledEntry.scheme`): the tables alone decide.
    decided = _by_tables(compiled, probe)
    if decided is not None:
        return decided
    # 2-3. The ranges: the first AFFECTED answer wins, else the first UNDETERMINED one.
    undetermined: Verdict | None = None
    answered = False
    for prepared in compiled.ranges:
        if prepared.item.type == "GIT":
            answer = _git(prepared.item, probe.commit)
            if answer is None:
                continue
            answered = True
            if answer.outcome is Outcome.NOT_AFFECTED:
                continue
            # A GIT answer is AFFECTED or not affected, never undetermined.
            return Verdict(
                answer.outcome, answer.kind, f"ranges[{prepared.number}]: {answer.detail}"
            )
        answered = True
        if probe.version is None:
            found: bool | str = "the component has no version to compare with the range"
        else:
            found = _range_answer(prepared, probe)
        if found is False:
            continue
        if found is True:
            return Verdict(
                Outcome.AFFECTED,
                "range",
                f"ranges[{prepared.number}]: {prepared.bounds} contains {probe.version}",
            )
        if undetermined is None:
            undetermined = _undetermined(f"ranges[{prepared.number}]: {found}")
    if undetermined is not None:
        return undetermined
    # 4. Nothing affected: was there anything to decide with?
    return _OUTSIDE if answered or listed else _nothing_to_decide(compiled, probe)


def _by_tables(compiled: CompiledEntry, probe: Probe) -> Verdict | None:
    """Step 2 in the common case of `CompiledEntry.scheme`; None where it does not apply."""
    scheme = compiled.scheme
    if scheme is None or probe.version is None or (probe.commit is not None and compiled.has_git):
        return _undecided(compiled, probe)
    current = probe.key(scheme)
    if isinstance(current, Unorderable):
        return _undecided(compiled, probe)
    for table, prefix in compiled.tables:
        if _in_table(table, current):
            return Verdict(Outcome.AFFECTED, "range", prefix + probe.version)
    return _OUTSIDE


def _undecided(compiled: CompiledEntry, probe: Probe) -> Verdict | None:
    """The tables do not decide (None): the full steps follow, which need the whole entry."""
    if not compiled.complete:  # a caller's mistake: `tables_decide` said no
        raise ValueError(
            f"affected[{compiled.index}]: only its tables are known and they do not decide "
            f"for version {probe.version!r} (commit {probe.commit!r}): compile it in full"
        )
    return None


def evaluate_many(entries: Sequence[CompiledEntry], probe: Probe) -> list[tuple[int, Verdict]]:
    """`evaluate(entry, probe)` for every entry, keeping the answers other than NOT_AFFECTED,
    each with the entry's position: the same answers in one loop, with steps 1 and 2 (the
    common case of `CompiledEntry.scheme`) inline. Matching evaluates every entry of a
    package against each of its versions."""
    version = probe.version
    if version is None:
        return _evaluate_each(entries, probe)
    found: list[tuple[int, Verdict]] = []
    commit = probe.commit
    listed_verdict = _affected("versions", f"version {version} is listed as affected")
    keys: dict[str, VersionKey | None] = {}  # None: not orderable in that scheme
    for position, compiled in enumerate(entries):
        # 1. The explicit list.
        listed = compiled.listed
        if listed and (
            version in listed
            or (bool(compiled.listed_pep440) and probe.pep440 in compiled.listed_pep440)
        ):
            found.append((position, listed_verdict))
            continue
        scheme = compiled.scheme
        current = None
        if scheme is not None and (commit is None or not compiled.has_git):
            current = keys.get(scheme)
            if current is None:
                found_key = probe.key(scheme)
                # An unorderable version takes the full steps below, which say why.
                current = keys[scheme] = None if isinstance(found_key, Unorderable) else found_key
        if current is None:
            verdict = evaluate(compiled, probe)  # steps 2-4 in full
            if verdict.outcome is not Outcome.NOT_AFFECTED:
                found.append((position, verdict))
            continue
        # 2. The tables alone decide: the first that says affected.
        for table, prefix in compiled.tables:
            # `_in_table`, inline.
            table_keys = table.keys
            group = bisect_right(table_keys, current) - 1
            hit = (
                table.start
                if group < 0
                else table.above[group]
                if table_keys[group] < current
                else table.at[group]
            )
            if hit:
                found.append((position, Verdict(Outcome.AFFECTED, "range", prefix + version)))
                break
    return found


def _evaluate_each(entries: Sequence[CompiledEntry], probe: Probe) -> list[tuple[int, Verdict]]:
    found: list[tuple[int, Verdict]] = []
    for position, compiled in enumerate(entries):
        verdict = evaluate(compiled, probe)
        if verdict.outcome is not Outcome.NOT_AFFECTED:
            found.append((position, verdict))
    return found


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
    prepared = _compile_range(0, item, ecosystem)
    found = _range_answer(prepared, Probe(version))
    if found is True:
        return _affected("range", f"{prepared.bounds} contains {version}")
    return _OUTSIDE if found is False else _undetermined(found)


def _in_table(table: Table, current: VersionKey) -> bool:
    """Step 2c by bisection: the answer for the group at or below `current`."""
    group = bisect_right(table.keys, current) - 1
    if group < 0:
        return table.start
    return table.above[group] if table.keys[group] < current else table.at[group]


def _range_answer(prepared: _CompiledRange, probe: Probe) -> bool | str:
    """Steps 2a-2d: True (affected), False (not), or why it cannot be decided."""
    if prepared.error is not None:
        return prepared.error
    current = probe.key(prepared.scheme)
    if isinstance(current, Unorderable):
        return current.reason
    # 2a. Limits.
    if prepared.limits and not any(
        key is _INFINITY or (not isinstance(key, _End) and current < key) for key in prepared.limits
    ):
        return False
    # 2c. The events sorted in 2b: by bisection over the precomputed answers ...
    if prepared.table is not None:
        return _in_table(prepared.table, current)
    # ... or walking them.
    affected = False
    for key, event in prepared.walk:
        # Only an `introduced` key can be _ZERO and only a `limit` key _INFINITY.
        if key is not _ZERO and (isinstance(key, _End) or current < key):
            break  # sorted: no later event applies either
        if event.kind == "introduced":
            affected = True
        elif event.kind == "fixed" or (event.kind == "last_affected" and key != current):
            affected = False
    return affected


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
