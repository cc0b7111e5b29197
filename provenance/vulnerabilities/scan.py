"""Look a verified SBOM's components up in the offline database: the facts the
`vulnerabilities` requirement judges.

Algorithm (`scan`):
1. OSV: every component whose purl type has an OSV ecosystem is matched by version
   (`VulnDatabase.match`); an undetermined version stays a finding, marked uncertain.
2. Each OSV match is scored from the CVSS vectors its record states (the highest counts; no
   usable vector: unscored) and flagged if one of its CVE ids is in CISA's KEV catalog.
3. CSAF: components OSV cannot look up (no purl, or a purl type without an OSV ecosystem,
   as device firmware and vendor libraries are) are matched against the ICS advisories filed
   under one of their look-up keys (`csaf_matching.component_keys`: only those can match):
   by CVE, model number, purl/CPE, else vendor and product name. An "affected" verdict is a
   finding; "possible" is a finding marked uncertain; fixed and not-affected are none.
4. CSAF by CVE for every component: a CVE that an OSV record matched in step 1 names, or that
   a VEX statement claiming exposure (`affected`, `under_investigation`) names for the
   component, ties it to the advisories about that CVE. The finding's aliases carry the OSV
   ids, so a VEX statement or an `ignore` entry naming either covers both findings.
Only the SBOM's own claims (and claims of exposure) are used: it has been verified and bound
before it gets here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from provenance.errors import EvidenceError
from provenance.evidence.sbom.model import Component, Sbom
from provenance.evidence.sbom.vex import VexStatement
from provenance.facts import SbomFacts, VulnerabilityFacts, VulnerabilityFinding
from provenance.scales import SeverityBand
from provenance.vulnerabilities.csaf_matching import (
    ComponentQuery,
    CsafFinding,
    CsafIndex,
    component_keys,
)
from provenance.vulnerabilities.csaf_products import CsafAdvisory, parse_csaf
from provenance.vulnerabilities.database import (
    VulnDatabase,
    VulnDatabaseError,
    database_path,
    open_database,
)
from provenance.vulnerabilities.matching import ComponentRef, OsvMatch
from provenance.vulnerabilities.severity import Severity, severity_of
from provenance.vulnerabilities.vex_filter import exposure_claims

__all__ = ["lookup", "scan"]

_CVSS_TYPES = ("CVSS_V3", "CVSS_V4")


def _label(component: Component) -> str:
    return component.purl or f"{component.name}@{component.version or '?'}"


def _scored(severity: Severity) -> tuple[SeverityBand | None, float | None]:
    highest = severity.highest
    return (highest.severity, highest.base_score) if highest is not None else (None, None)


def lookup(state_dir: Path, sbom: SbomFacts | None, *, now: datetime) -> VulnerabilityFacts | None:
    """The SBOM's components looked up in the database of `state_dir`; None without a usable
    SBOM (the rule says why). A database that is missing, corrupted (when opened or when a
    stored record is read) or from a newer release is a problem the rule reports: the check
    could not be made, so nothing passes."""
    if sbom is None or sbom.sbom is None:
        return None
    try:
        with open_database(state_dir, now=now) as db:
            return scan(db, sbom.sbom, sbom.vex, sbom_source=sbom.source)
    except VulnDatabaseError as exc:  # missing, newer, or a stored record that does not parse
        return VulnerabilityFacts(database=str(database_path(state_dir)), newest_data=None,
                                  problem=str(exc))  # fmt: skip


def scan(
    db: VulnDatabase,
    sbom: Sbom,
    statements: Sequence[VexStatement] = (),
    *,
    sbom_source: str | None = None,
) -> VulnerabilityFacts:
    """Steps 1-4 above, for the components of `sbom`; `statements`: the VEX statements
    delivered with it (from `sbom_source`, the SBOM file, or VEX documents)."""
    # ComponentRef is a value: components equal in every field it has are one to the lookup.
    by_ref = {ComponentRef.from_sbom(component): component for component in sbom.components}
    result = db.match(by_ref)
    findings = [_osv_finding(db, match, by_ref[ref]) for ref, match in result.pairs()]
    unchecked = [(by_ref[item.component], item.reason) for item in result.unchecked]
    # CVE -> the OSV records naming it, per component (step 4).
    named: dict[Component, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for ref, match in result.pairs():
        for cve in match.cves:
            named[by_ref[ref]][cve.upper()].append(match.record_id)
    described = sbom.metadata.component
    artifact_ids = [x for x in (described.purl, described.bom_ref) if x] if described else []
    claims = exposure_claims(
        statements,
        [(component.purl, component.bom_ref) for component in sbom.components],
        artifact_ids=artifact_ids,
        sbom_source=sbom_source,
    )
    for number, cves in claims.items():
        for cve in cves:
            named[sbom.components[number]].setdefault(cve, [])
    findings += _csaf_findings(db, [component for component, _ in unchecked], named)
    return VulnerabilityFacts(
        database=str(db.path),
        newest_data=db.newest_data(),
        snapshot=db.snapshot(),
        findings=tuple(findings),
        checked=result.checked,
        unchecked=tuple(f"{_label(component)}: {why}" for component, why in unchecked),
    )


def _osv_finding(db: VulnDatabase, match: OsvMatch, component: Component) -> VulnerabilityFinding:
    vectors = [s.score for s in match.severity if s.type in _CVSS_TYPES]
    severity, score = _scored(severity_of(vectors))
    return VulnerabilityFinding(
        vulnerability_id=match.record_id,
        aliases=match.aliases,
        component=_label(component),
        purl=component.purl,
        bom_ref=component.bom_ref,
        source="osv",
        record=match.record_id,
        match=match.kind,
        certain=match.definite,
        severity=severity,
        score=score,
        known_exploited=any(db.kev(cve) is not None for cve in match.cves),
        detail=match.detail,
        fixed=db.fixed_versions(match.record_id, match.affected_index),
    )


def _csaf_findings(
    db: VulnDatabase,
    unchecked: list[Component],
    named: Mapping[Component, Mapping[str, list[str]]],
) -> list[VulnerabilityFinding]:
    """Step 3 for `unchecked` (every way of matching), step 4 for the components with named
    CVEs (by those CVEs only, unless unchecked)."""
    identify = set(unchecked)
    queries = [
        (component, _query(component, tuple(named.get(component, ()))))
        for component in dict.fromkeys([*unchecked, *named])
    ]
    keys = {
        key
        for component, query in queries
        for key in (
            component_keys(query) if component in identify else [f"cve:{c}" for c in query.cves]
        )
    }
    advisories = _advisories(db, keys) if keys else []
    if not advisories:
        return []
    index = CsafIndex(advisories)
    findings = []
    for component, query in queries:
        for found in index.match(query, identify=component in identify):
            if found.verdict in ("affected", "possible"):
                osv_ids = named.get(component, {}).get((found.cve or "").upper(), [])
                findings.append(_csaf_finding(db, component, found, osv_ids))
    return findings


def _query(component: Component, cves: tuple[str, ...]) -> ComponentQuery:
    return ComponentQuery(
        name=component.name,
        version=component.version,
        supplier=component.supplier,
        purl=component.purl,
        cpe=component.cpe,
        model_numbers=component.model_numbers,
        cves=cves,
        ref=component.bom_ref,
    )


def _advisories(db: VulnDatabase, keys: set[str]) -> list[CsafAdvisory]:
    advisories = []
    for tracking, document in db.csaf_filed_under(sorted(keys)):
        try:
            advisories.append(parse_csaf(document, f"CSAF {tracking}"))
        except EvidenceError as exc:  # it parsed at import: the file was changed since
            raise VulnDatabaseError(
                f"vulnerability database {db.path}: a stored advisory does not parse ({exc}); "
                "import the data again into a fresh state directory"
            ) from exc
    return advisories


def _csaf_finding(
    db: VulnDatabase, component: Component, found: CsafFinding, osv_ids: list[str]
) -> VulnerabilityFinding:
    severity, score = _scored(severity_of(score.vector for score in found.scores))
    cve = found.cve
    detail = found.reason
    if found.match == "cve" and osv_ids:
        detail = f"{detail} (as OSV {', '.join(osv_ids)} about it does)"
    return VulnerabilityFinding(
        vulnerability_id=cve or found.advisory,
        aliases=tuple(
            dict.fromkeys(
                i for i in (found.advisory, *found.vulnerability_ids, *osv_ids) if i != cve
            )
        ),
        component=_label(component),
        purl=component.purl,
        bom_ref=component.bom_ref,
        source="csaf",
        record=found.advisory,
        match=found.match,
        certain=found.verdict == "affected",
        severity=severity,
        score=score,
        known_exploited=cve is not None and db.kev(cve) is not None,
        detail=detail,
    )
