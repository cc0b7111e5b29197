"""All of a package's versions against all of its OSV entries at once: the answers of
`osv_ranges.evaluate_many` for each version, found entry by entry instead of version by
version.

Why: a package such as tensorflow has hundreds of entries and an SBOM set may hold a hundred
of its versions; asking each entry about each version bisects every table once per version,
with a Python-level comparison of versions at every step. Here the versions are sorted once
per version scheme, and each distinct event version of the package is placed among them once
(two bisections, remembered); each table then names the versions it covers as runs of that
order: below its first event version (`start`), equal to an event version (`at`), between two
(`above`).

For each entry, in order (so each version's answers keep entry order, as `evaluate_many`
gives them):
1. Versions in its explicit list (as written, or PEP 440-equal for PyPI) -> AFFECTED.
2. Where its tables decide for a version (`osv_ranges.tables_decide`), the first table that
   covers the version -> AFFECTED.
3. Other versions (an entry without tables; a version its scheme cannot order; a commit and
   a GIT range) get `evaluate` in full, which needs the entry complete.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence

from provenance.vulnerabilities.osv_ranges import (
    CompiledEntry,
    Outcome,
    Probe,
    Table,
    Unorderable,
    Verdict,
    evaluate,
)
from provenance.vulnerabilities.versions import VersionKey

__all__ = ["evaluate_versions"]


class _Order:
    """The versions that order in one scheme, sorted, and where event versions fall."""

    __slots__ = ("keys", "places", "positions")

    def __init__(self, probes: Sequence[Probe], scheme: str) -> None:
        keyed: list[tuple[VersionKey, int]] = []
        for number, probe in enumerate(probes):
            if probe.version is not None:
                key = probe.key(scheme)
                if not isinstance(key, Unorderable):
                    keyed.append((key, number))
        keyed.sort(key=lambda pair: pair[0])
        self.keys = [key for key, _ in keyed]
        self.positions = [number for _, number in keyed]  # probe numbers in version order
        self.places: dict[VersionKey, tuple[int, int]] = {}

    def place(self, key: VersionKey) -> tuple[int, int]:
        """The run of sorted versions equal to `key`: [left, right)."""
        found = self.places.get(key)
        if found is None:
            found = self.places[key] = (bisect_left(self.keys, key), bisect_right(self.keys, key))
        return found

    def covered(self, table: Table) -> list[int]:
        """Probe numbers (in version order) the table says are affected."""
        positions = self.positions
        covered: list[int] = []
        low = 0  # where the current run begins: below the first event version, from 0
        state = table.start
        for key, at, above in zip(table.keys, table.at, table.above, strict=True):
            left, right = self.place(key)
            if state:
                covered += positions[low:left]
            if at:
                covered += positions[left:right]
            low, state = right, above
        if state:
            covered += positions[low:]
        return covered


def evaluate_versions(
    entries: Sequence[CompiledEntry], probes: Sequence[Probe]
) -> list[list[tuple[int, Verdict]]]:
    """For each probe, `evaluate_many(entries, probe)`: steps 1-3 above."""
    sweep = _Sweep(probes)
    for position, entry in enumerate(entries):
        hit = sweep.listed(position, entry)
        sweep.tables(position, entry, hit)
        sweep.in_full(position, entry, hit)
    return sweep.found


class _Sweep:
    """The probes, what each has been answered so far, and what is worked out once."""

    def __init__(self, probes: Sequence[Probe]) -> None:
        self.probes = probes
        self.found: list[list[tuple[int, Verdict]]] = [[] for _ in probes]
        self.by_version: dict[str, list[int]] = defaultdict(list)
        for number, probe in enumerate(probes):
            if probe.version is not None:
                self.by_version[probe.version].append(number)
        self.by_pep440: dict[str, list[int]] | None = None
        self.with_commit = frozenset(n for n, p in enumerate(probes) if p.commit is not None)
        self.orders: dict[str, _Order] = {}
        # (scheme, has_git) -> the probes the tables decide for, and the others.
        self.split: dict[tuple[str | None, bool], tuple[frozenset[int], tuple[int, ...]]] = {}
        # Equal answers share one Verdict: by probe (listed), by table prefix and probe.
        self.listed_details: dict[int, Verdict] = {}
        self.range_details: dict[tuple[str, int], Verdict] = {}

    def listed(self, position: int, entry: CompiledEntry) -> set[int]:
        """Step 1: the probes the entry lists."""
        hit: set[int] = set()
        if not entry.listed:
            return hit
        for version in entry.listed.intersection(self.by_version):
            hit.update(self.by_version[version])
        if entry.listed_pep440:
            if self.by_pep440 is None:
                self.by_pep440 = _by_pep440(self.probes)
            for form in entry.listed_pep440.intersection(self.by_pep440):
                hit.update(self.by_pep440[form])
        for number in sorted(hit):
            verdict = self.listed_details.get(number)
            if verdict is None:
                detail = f"version {self.probes[number].version} is listed as affected"
                verdict = self.listed_details[number] = Verdict(
                    Outcome.AFFECTED, "versions", detail
                )
            self.found[number].append((position, verdict))
        return hit

    def tables(self, position: int, entry: CompiledEntry, hit: set[int]) -> None:
        """Step 2, for the probes the tables decide for (adds to `hit`)."""
        scheme = entry.scheme
        order = None
        if scheme is not None:
            order = self.orders.get(scheme)
            if order is None:
                order = self.orders[scheme] = _Order(self.probes, scheme)
        decided = self._decided(scheme, entry.has_git, order)
        if order is None:
            return
        for table, prefix in entry.tables:
            for number in order.covered(table):
                if number in hit or number not in decided:
                    continue
                hit.add(number)
                verdict = self.range_details.get((prefix, number))
                if verdict is None:
                    detail = prefix + str(self.probes[number].version)
                    verdict = self.range_details[prefix, number] = Verdict(
                        Outcome.AFFECTED, "range", detail
                    )
                self.found[number].append((position, verdict))

    def _decided(self, scheme: str | None, has_git: bool, order: _Order | None) -> frozenset[int]:
        kind = (scheme, has_git)
        known = self.split.get(kind)
        if known is None:
            decided = frozenset(order.positions if order is not None else ())
            if has_git:
                decided -= self.with_commit
            rest = tuple(n for n in range(len(self.probes)) if n not in decided)
            known = self.split[kind] = decided, rest
        return known[0]

    def in_full(self, position: int, entry: CompiledEntry, hit: set[int]) -> None:
        """Step 3: the probes neither listed nor decided by the tables."""
        for number in self.split[entry.scheme, entry.has_git][1]:
            if number in hit:
                continue
            verdict = evaluate(entry, self.probes[number])
            if verdict.outcome is not Outcome.NOT_AFFECTED:
                self.found[number].append((position, verdict))


def _by_pep440(probes: Sequence[Probe]) -> dict[str, list[int]]:
    forms: dict[str, list[int]] = defaultdict(list)
    for number, probe in enumerate(probes):
        form = probe.pep440
        if form is not None:
            forms[form].append(number)
    return forms
