"""Which OSV records affect which SBOM components.

Algorithm (`match_components`):
1. Each component's purl -> (OSV ecosystem, normalised package key, version) (`packages`).
   A component without a purl, or whose purl type has no OSV ecosystem, is returned as
   unchecked with the reason: policy decides what an unchecked component means; it is never
   reported as "not affected".
2. Look the package up among the (ecosystem, key) pairs the database names (one set, loaded
   once); only packages some record names are queried, once per distinct package, after all
   components are grouped by package: its records' entries for it (only those: the database
   stores each entry's fields apart) are read once, evaluated for each of its distinct
   versions, and dropped. Most entries are read as the tables the importer stored
   (`stored_tables`), which decide for any version the scheme orders; a version they cannot
   decide for (unorderable, or a commit against an entry with a GIT range) is evaluated
   against the package's entries compiled in full from their fields.
3. Each non-withdrawn record's entries for that package are evaluated (`osv_ranges.evaluate`;
   all of a package's entries against all of its versions at once by
   `osv_sweep.evaluate_versions`, which gives `osv_ranges.evaluate_many`'s answers):
   an AFFECTED entry gives a definite match (kind "versions", "range" or "git-commit"); if no
   entry is affected but one is UNDETERMINED (an unorderable version, no version), the record
   gives an "undetermined" match, which policy must treat as a finding (fail closed).
4. Components with the same package, version and commit share one answer (a tuple of
   `OsvMatch`, in record-id order); each match carries the record id, the entry index, the
   aliases (CVE ids), the summary and the CVSS vectors the record and the entry state;
   scoring them is the advisories side's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

from provenance.gc_pause import paused_gc
from provenance.vulnerabilities.osv_ranges import (
    CompiledEntry,
    MatchKind,
    Outcome,
    Probe,
    Verdict,
    tables_decide,
)
from provenance.vulnerabilities.osv_records import OsvRecord, Severity
from provenance.vulnerabilities.osv_sweep import evaluate_versions
from provenance.vulnerabilities.packages import PackageRef, package_from_purl

if TYPE_CHECKING:
    from provenance.evidence.sbom.model import Component

__all__ = [
    "ComponentMatches",
    "ComponentRef",
    "MatchResult",
    "OsvMatch",
    "PackageEntries",
    "PackageIndex",
    "UncheckedComponent",
    "match_components",
]


@dataclass(frozen=True, slots=True)
class ComponentRef:
    """What matching needs of a component. `commit` enables GIT ranges."""

    name: str
    version: str | None = None
    purl: str | None = None
    commit: str | None = None
    bom_ref: str | None = None

    @classmethod
    def from_sbom(cls, component: Component, commit: str | None = None) -> ComponentRef:
        return cls(
            name=component.name,
            version=component.version,
            purl=component.purl,
            commit=commit,
            bom_ref=component.bom_ref,
        )


class OsvMatch(NamedTuple):
    """One record affecting (or possibly affecting) a package at a version; shared by every
    component with that package, version and commit (`ComponentMatches`)."""

    ecosystem: str
    package_key: str
    record_id: str
    affected_index: int  # which `affected[]` entry of the record
    kind: MatchKind  # "versions" | "range" | "git-commit" | "undetermined"
    detail: str  # the event or list that decided, or why it could not be decided
    aliases: tuple[str, ...]
    cves: tuple[str, ...]  # CVE ids among the id and aliases
    summary: str
    severity: tuple[Severity, ...]  # record-level, then the entry's own
    modified: str

    @property
    def definite(self) -> bool:
        """False for "undetermined": the version could not be compared (still a finding)."""
        return self.kind != "undetermined"


@dataclass(frozen=True, slots=True)
class ComponentMatches:
    """A component and the records that affect it (at least one)."""

    component: ComponentRef
    matches: tuple[OsvMatch, ...]


@dataclass(frozen=True, slots=True)
class UncheckedComponent:
    component: ComponentRef
    reason: str


@dataclass(frozen=True)
class MatchResult:
    findings: tuple[ComponentMatches, ...]  # components with at least one match, in order
    unchecked: tuple[UncheckedComponent, ...]
    checked: int  # components looked up (with or without a match)

    def pairs(self) -> Iterator[tuple[ComponentRef, OsvMatch]]:
        """Every (component, match), in component order then record id."""
        for finding in self.findings:
            for match in finding.matches:
                yield finding.component, match


_Version = tuple[str | None, str | None]  # (version, commit)


class PackageEntries(NamedTuple):
    """A package's non-withdrawn records (heads: `affected` left empty) and their entries
    for it, in record-id order, in one flat list."""

    records: tuple[OsvRecord, ...]
    entries: tuple[CompiledEntry, ...]
    owners: tuple[int, ...]  # entries[n] is an entry of records[owners[n]]
    cves: tuple[tuple[str, ...], ...]  # records[n].cves, worked out once per record

    @staticmethod
    def build(
        records: Sequence[OsvRecord], entries: Sequence[CompiledEntry], owners: Sequence[int]
    ) -> PackageEntries:
        return PackageEntries(
            tuple(records),
            tuple(entries),
            tuple(owners),
            tuple(record.cves for record in records),
        )


class PackageIndex(Protocol):
    """What matching reads: `VulnDatabase` implements it (and a test can)."""

    def package_keys(self) -> frozenset[tuple[str, str]]: ...

    def package_entries(self, ecosystem: str, key: str, *, complete: bool) -> PackageEntries:
        """`complete`: every entry compiled in full; else some may hold their tables only
        (`CompiledEntry.complete` False, `stored_tables`)."""
        ...


def match_components(db: PackageIndex, components: Iterable[ComponentRef]) -> MatchResult:
    """Steps 1-4 above; matches in component order, then record id. The cyclic collector is
    paused (`paused_gc`): matching allocates some 10^5 small objects, none in a cycle."""
    with paused_gc():
        return _match(db, components)


def _match(db: PackageIndex, components: Iterable[ComponentRef]) -> MatchResult:
    known = db.package_keys()
    unchecked: list[UncheckedComponent] = []
    checked = 0
    # Components are grouped by package first, so that each package's records are loaded,
    # evaluated for all its versions and dropped before the next package's.
    looked_up: list[tuple[ComponentRef, tuple[str, str], _Version]] = []
    versions: dict[tuple[str, str], dict[_Version, None]] = {}
    for component in components:
        # 1. The package.
        package = _package(component)
        if isinstance(package, str):
            unchecked.append(UncheckedComponent(component, package))
            continue
        checked += 1
        # 2. Only packages some record names.
        pair = (package.ecosystem, package.key)
        if pair not in known:
            continue
        version = (package.version, component.commit)
        versions.setdefault(pair, {})[version] = None
        looked_up.append((component, pair, version))
    # 3. Each package's records, against each distinct version (and commit) of it.
    answers: dict[tuple[tuple[str, str], _Version], tuple[OsvMatch, ...]] = {}
    for pair, distinct in versions.items():
        for version, found in _answers(db, pair, list(distinct)).items():
            answers[pair, version] = found
    # 4. Same answer for the same package, version and commit.
    findings = tuple(
        ComponentMatches(component, found)
        for component, pair, version in looked_up
        if (found := answers[pair, version])
    )
    return MatchResult(findings, tuple(unchecked), checked)


def _answers(
    db: PackageIndex, pair: tuple[str, str], versions: list[_Version]
) -> dict[_Version, tuple[OsvMatch, ...]]:
    """Step 3 for one package: the matches of each of its distinct versions (and commits)."""
    entries = db.package_entries(*pair, complete=False)
    # What the entries read as tables only need of a probe: a version that orders in each
    # of their schemes, and no commit if one has a GIT range (`tables_decide`); the other
    # probes are evaluated against the entries compiled in full.
    partial = [entry for entry in entries.entries if not entry.complete]
    schemes = {entry.scheme for entry in partial if entry.scheme is not None}
    git = any(entry.has_git for entry in partial)
    probes = [Probe(*version) for version in versions]
    fast = [not partial or tables_decide(schemes, git, probe) for probe in probes]
    answers: dict[_Version, tuple[OsvMatch, ...]] = {}
    for wanted in (True, False):
        chosen = [number for number, by_tables in enumerate(fast) if by_tables is wanted]
        if not chosen:
            continue
        package = entries if wanted else db.package_entries(*pair, complete=True)
        verdicts = evaluate_versions(package.entries, [probes[number] for number in chosen])
        for number, found in zip(chosen, verdicts, strict=True):
            answers[versions[number]] = _matches(package, pair, found)
    return answers


def _package(component: ComponentRef) -> PackageRef | str:
    if not component.purl:
        return "no purl: the OSV ecosystem and package name cannot be known"
    package = package_from_purl(component.purl, component.version)
    if package is None:
        return f"purl {component.purl}: not a purl of a type with an OSV ecosystem"
    return package


def _matches(
    package: PackageEntries, pair: tuple[str, str], verdicts: list[tuple[int, Verdict]]
) -> tuple[OsvMatch, ...]:
    """One version's answers (`evaluate_many`'s) -> its matches, one per record: the
    record's first AFFECTED entry decides; failing that, its first UNDETERMINED one."""
    decided: dict[int, tuple[int, Verdict]] = {}
    owners = package.owners
    for position, verdict in verdicts:
        owner = owners[position]
        previous = decided.get(owner)
        if previous is None or (
            verdict.outcome is Outcome.AFFECTED and previous[1].outcome is not Outcome.AFFECTED
        ):
            decided[owner] = (position, verdict)
    ecosystem, key = pair
    found: list[OsvMatch] = []
    for owner, (position, verdict) in decided.items():  # in record-id order, as first seen
        record = package.records[owner]
        entry = package.entries[position]
        found.append(
            OsvMatch(
                ecosystem,
                key,
                record.id,
                entry.index,
                verdict.kind,
                verdict.detail,
                record.aliases,
                package.cves[owner],
                record.summary,
                record.severity + entry.severity,
                record.modified,
            )
        )
    return tuple(found)
