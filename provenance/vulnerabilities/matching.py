"""Which OSV records affect which SBOM components.

Algorithm (`match_components`):
1. Each component's purl -> (OSV ecosystem, normalised package key, version) (`packages`).
   A component without a purl, or whose purl type has no OSV ecosystem, is returned as
   unchecked with the reason: policy decides what an unchecked component means; it is never
   reported as "not affected".
2. Look the package up among the (ecosystem, key) pairs the database names (one set, loaded
   once); only packages some record names are queried, once per distinct package.
3. Each non-withdrawn record's entries for that package are evaluated (`osv_ranges.evaluate`):
   an AFFECTED entry gives a definite match (kind "versions", "range" or "git-commit"); if no
   entry is affected but one is UNDETERMINED (an unorderable version, no version), the record
   gives an "undetermined" match, which policy must treat as a finding (fail closed).
4. Components with the same package, version and commit share one answer (a tuple of
   `OsvMatch`, in record-id order); each match carries the record id, the entry index, the
   aliases (CVE ids), the summary and the CVSS vectors the record and the entry state;
   scoring them is the advisories side's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from provenance.vulnerabilities.osv_ranges import (
    CompiledEntry,
    MatchKind,
    Outcome,
    Probe,
    compile_entry,
    evaluate,
)
from provenance.vulnerabilities.osv_records import OsvRecord, Severity
from provenance.vulnerabilities.packages import PackageRef, package_from_purl

if TYPE_CHECKING:
    from provenance.evidence.sbom.model import Component

__all__ = [
    "ComponentMatches",
    "ComponentRef",
    "MatchResult",
    "OsvMatch",
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


@dataclass(frozen=True, slots=True)
class OsvMatch:
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


class PackageIndex(Protocol):
    """What matching reads: `VulnDatabase` implements it (and a test can)."""

    def package_keys(self) -> frozenset[tuple[str, str]]: ...

    def records_for_package(self, ecosystem: str, key: str) -> list[OsvRecord]: ...


def match_components(db: PackageIndex, components: Iterable[ComponentRef]) -> MatchResult:
    """Steps 1-4 above; matches in component order, then record id."""
    known = db.package_keys()
    records: dict[tuple[str, str], list[_Candidate]] = {}
    answers: dict[tuple[str, str, str | None, str | None], tuple[OsvMatch, ...]] = {}
    findings: list[ComponentMatches] = []
    unchecked: list[UncheckedComponent] = []
    checked = 0
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
        cache_key = (*pair, package.version, component.commit)
        found = answers.get(cache_key)
        if found is None:
            if pair not in records:
                records[pair] = _candidates(db.records_for_package(*pair), *pair)
            probe = Probe(package.version, component.commit)
            found = answers[cache_key] = _evaluate(records[pair], package, probe)
        # 3-4. Same answer for the same package, version and commit.
        if found:
            findings.append(ComponentMatches(component, found))
    return MatchResult(tuple(findings), tuple(unchecked), checked)


def _package(component: ComponentRef) -> PackageRef | str:
    if not component.purl:
        return "no purl: the OSV ecosystem and package name cannot be known"
    package = package_from_purl(component.purl, component.version)
    if package is None:
        return f"purl {component.purl}: not a purl of a type with an OSV ecosystem"
    return package


@dataclass(frozen=True, slots=True)
class _Candidate:
    record: OsvRecord
    cves: tuple[str, ...]
    entries: tuple[CompiledEntry, ...]  # the record's entries for the package, compiled once


def _candidates(found: list[OsvRecord], ecosystem: str, key: str) -> list[_Candidate]:
    return [
        _Candidate(
            record,
            record.cves,
            tuple(
                compile_entry(entry)
                for entry in record.affected
                if entry.base_ecosystem == ecosystem and entry.package_key == key
            ),
        )
        for record in found
    ]


def _evaluate(
    candidates: list[_Candidate], package: PackageRef, probe: Probe
) -> tuple[OsvMatch, ...]:
    found: list[OsvMatch] = []
    for candidate in candidates:
        record = candidate.record
        undetermined: OsvMatch | None = None
        for compiled in candidate.entries:
            entry = compiled.entry
            verdict = evaluate(compiled, probe)
            if verdict.outcome is Outcome.NOT_AFFECTED:
                continue
            match = OsvMatch(
                ecosystem=package.ecosystem,
                package_key=package.key,
                record_id=record.id,
                affected_index=entry.index,
                kind=verdict.kind,
                detail=verdict.detail,
                aliases=record.aliases,
                cves=candidate.cves,
                summary=record.summary,
                severity=record.severity + entry.severity,
                modified=record.modified,
            )
            if verdict.outcome is Outcome.AFFECTED:
                found.append(match)
                undetermined = None
                break
            if undetermined is None:
                undetermined = match
        if undetermined is not None:
            found.append(undetermined)
    return tuple(found)
