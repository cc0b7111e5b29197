"""`vulnerabilities` (`provenance.policy.requirements.vulnerabilities`): no known
vulnerability in the artifact's SBOM components, offline.

The lookup itself (`provenance.vulnerabilities.scan`) happens while the evidence is examined;
this rule judges its findings, in order:
1. No SBOM, no database, or data older than `max_db_age_days`: fail (nothing was checked).
2. VEX: a finding is set aside by a `not_affected` (with a justification) or `fixed`
   statement bound at least as `vex` asks; an `affected` statement anywhere keeps it.
3. `ignore`: a finding whose id or alias is listed, before the entry's `expires` date, is set
   aside; an expired entry no longer counts and the reason says so.
4. What remains fails the rule if: its version could not be compared (always: fail closed),
   it is in KEV (`known_exploited: deny`), it has no score (`unscored: deny`), or its
   severity is above `max_severity` (with `max_severity: none`, the default, any score,
   0.0 included, is too much). "Possible" advisory matches fail only with
   `possible: deny`; otherwise they are listed as warnings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from provenance.decision.context import DecisionContext
from provenance.decision.requirements import RuleKind
from provenance.decision.rules import Finding
from provenance.decision.sbom.binding import by_products_vendor
from provenance.facts import SbomFacts, VulnerabilityFacts, VulnerabilityFinding
from provenance.policy.requirements import Requirements
from provenance.policy.requirements.vulnerabilities import IgnoreEntry, VulnerabilitiesSpec
from provenance.scales import SEVERITY_ORDER, SeverityBand

__all__ = ["RULE", "VulnerabilitiesRequirement"]

MAX_SHOWN = 5  # findings named in a reason
MAX_EVIDENCE = 100  # findings listed per category in the evidence


def _label(finding: VulnerabilityFinding) -> str:
    cves = [alias for alias in finding.aliases if alias.startswith("CVE-")]
    named = f"{finding.vulnerability_id} ({', '.join(cves)})" if cves else finding.vulnerability_id
    if finding.severity is None:
        rated = "unscored"
    else:
        rated = finding.severity + (f" {finding.score:.1f}" if finding.score is not None else "")
    kev = ", known exploited" if finding.known_exploited else ""
    fixed = f", fixed in {', '.join(finding.fixed)}" if finding.fixed else ""
    return f"{named} [{rated}{kev}] in {finding.component}{fixed}"


def _listed(labels: list[str]) -> str:
    more = f" and {len(labels) - MAX_SHOWN} more" if len(labels) > MAX_SHOWN else ""
    return "; ".join(labels[:MAX_SHOWN]) + more


def _as_evidence(finding: VulnerabilityFinding, **extra: Any) -> dict[str, Any]:
    return {
        "id": finding.vulnerability_id,
        "aliases": list(finding.aliases),
        "component": finding.component,
        "severity": finding.severity,
        "score": finding.score,
        "known_exploited": finding.known_exploited,
        "source": finding.source,
        "record": finding.record,
        "match": finding.match,
        "detail": finding.detail,
        "fixed": list(finding.fixed),
        **extra,
    }


@dataclass(frozen=True)
class VulnerabilitiesRequirement:
    spec: VulnerabilitiesSpec
    name: str = "vulnerabilities"

    def evaluate(self, context: DecisionContext) -> Finding:
        # 1. Was anything checked, against data fresh enough?
        checked = self._checked(context)
        if isinstance(checked, Finding):
            return checked
        sbom, facts = checked
        # 2. VEX, 3. ignore entries, 4. what remains.
        kept, suppressed, unused_vex = self._apply_vex(facts, sbom, context)
        remaining, ignored, expired = self._apply_ignores(kept, context.now.date())
        judged = _Judged(self, remaining)
        evidence: dict[str, Any] = {
            "database": facts.database,
            "database_snapshot": facts.snapshot,
            "data_as_of": facts.newest_data.isoformat() if facts.newest_data else None,
            "checked": facts.checked,
            "unchecked": list(facts.unchecked[:MAX_EVIDENCE]),
            "denied": [_as_evidence(f, why=why) for f, why in judged.denied[:MAX_EVIDENCE]],
            "suppressed": suppressed[:MAX_EVIDENCE],
            "ignored": ignored[:MAX_EVIDENCE],
            "possible": [_as_evidence(f) for f in judged.warnings[:MAX_EVIDENCE]],
            "tolerated": [_as_evidence(f) for f in judged.tolerated[:MAX_EVIDENCE]],
            "unused_vex": unused_vex[:MAX_EVIDENCE],
            "expired_ignores": expired,
        }
        problems = []
        if judged.denied:
            problems.append(
                f"expected no known vulnerability {self._bar()}, got {len(judged.denied)}: "
                + _listed([f"{_label(f)} ({why})" for f, why in judged.denied])
            )
        if self.spec.unchecked == "deny" and facts.unchecked:
            problems.append(
                f"expected every component looked up, got {len(facts.unchecked)} that could "
                f"not be: {_listed(list(facts.unchecked))}"
            )
        if problems:
            return Finding(self.name, False, "; ".join(problems + expired), evidence)
        summary = [f"{facts.checked} components looked up, none {self._bar()}"]
        if suppressed:
            summary.append(f"{len(suppressed)} set aside by VEX")
        if ignored:
            summary.append(f"{len(ignored)} ignored until their expiry")
        if judged.tolerated:
            summary.append(f"{len(judged.tolerated)} within max_severity {self.spec.max_severity}")
        if judged.warnings:
            labels = [_label(f) for f in judged.warnings]
            summary.append(f"{len(labels)} possible (warning): {_listed(labels)}")
        if facts.unchecked:
            summary.append(
                f"{len(facts.unchecked)} without an OSV ecosystem (matched against ICS "
                "advisories only)"
            )
        return Finding(self.name, True, "; ".join(summary + expired), evidence)

    def _checked(self, context: DecisionContext) -> Finding | tuple[SbomFacts, VulnerabilityFacts]:
        """The SBOM and its lookup, or the failed finding if nothing (fresh) was checked."""
        sbom, facts = context.sbom_facts, context.vulnerability_facts
        if sbom is not None and sbom.problem is not None:
            return self._fail(f"expected a valid SBOM to look up, got: {sbom.problem}")
        if sbom is None or sbom.sbom is None:
            return self._fail("expected an SBOM whose components can be looked up, got none")
        # Whoever can put a file beside the artifact can write an SBOM listing nothing: only
        # the components the product's own vendor signed for this file are looked up.
        vendor = context.product.vendor if context.product is not None else None
        bound = by_products_vendor(sbom, vendor, context.artifact_sha256)
        if bound.binding not in ("signed-attestation", "signed-file"):
            detail = f" ({bound.binding_detail})" if bound.binding_detail else ""
            return self._fail(
                "expected to look up an SBOM the product's vendor signed for this file, got "
                f"binding {bound.binding or 'none'}{detail}"
            )
        if facts is None:
            return self._fail(
                "expected a lookup in the vulnerability database, got none (the gate ran "
                "without a state directory)"
            )
        if facts.problem is not None:
            return self._fail(facts.problem)
        stale = self._staleness(facts, context)
        snapshot = {"database": facts.database, "database_snapshot": facts.snapshot}
        return (sbom, facts) if stale is None else self._fail(stale, snapshot)

    def _apply_ignores(
        self, kept: list[VulnerabilityFinding], today: date
    ) -> tuple[list[VulnerabilityFinding], list[dict[str, Any]], list[str]]:
        remaining: list[VulnerabilityFinding] = []
        ignored: list[dict[str, Any]] = []
        expired: set[str] = set()
        for finding in kept:
            entry = self._ignore_entry(finding)
            if entry is not None and today < entry.expires.date:
                ignored.append(_as_evidence(finding, reason=entry.reason, until=entry.expires.text))
                continue
            if entry is not None:
                expired.add(f"ignore entry for {entry.id} expired on {entry.expires.text}")
            remaining.append(finding)
        return remaining, ignored, sorted(expired)

    def _fail(self, reason: str, evidence: Mapping[str, Any] | None = None) -> Finding:
        return Finding(self.name, False, reason, evidence or {})

    def _bar(self) -> str:
        if self.spec.max_severity == "none":
            return "left unaddressed"
        return f"above {self.spec.max_severity}"

    def _staleness(self, facts: VulnerabilityFacts, context: DecisionContext) -> str | None:
        oldest = self.spec.max_db_age_days
        if oldest is None:
            return None
        if facts.newest_data is None:
            return (
                f"expected vulnerability data at most {oldest} days old, got an "
                f"empty database at {facts.database} (run provenance vulndb import)"
            )
        age = context.now - facts.newest_data
        if age.days > oldest:
            return (
                f"expected vulnerability data at most {oldest} days old, got data "
                f"last modified {facts.newest_data.date()} ({age.days} days old): import fresh "
                "data (provenance vulndb import)"
            )
        return None

    def _apply_vex(
        self, facts: VulnerabilityFacts, sbom: SbomFacts, context: DecisionContext
    ) -> tuple[list[VulnerabilityFinding], list[dict[str, Any]], list[str]]:
        from provenance.vulnerabilities.vex_filter import apply_vex, names_product  # noqa: PLC0415

        product, version = context.product, context.version
        described = sbom.sbom.metadata.component if sbom.sbom is not None else None
        this = (
            f"{product.purl}@{version.value}" if product and version else product and product.purl
        )
        artifact_ids = [
            name
            for name in (
                this,
                described.purl if described is not None else None,
                described.bom_ref if described is not None else None,
            )
            if name
        ]
        # Bound means signed by a signer of the product's own vendor (DESIGN.md, rule 1):
        # another vendor's signature leaves a VEX document unbound.
        vendor = product.vendor if product is not None else None
        bindings = {
            source: bound if vendor and sbom.vex_signers.get(source) == vendor else None
            for source, bound in sbom.vex_bindings.items()
        }
        # A document is about this artifact if it is an attestation about its digest by its
        # vendor, or names it as its product.
        about = {source for source, bound in bindings.items() if bound == "signed-attestation"}
        about |= {
            source
            for source, products in sbom.vex_products.items()
            if names_product(products, artifact_ids)
        }
        outcome = apply_vex(
            facts.findings,
            sbom.vex,
            bindings,
            min_binding="signed-file" if self.spec.vex == "signed" else None,
            artifact_ids=artifact_ids,
            sbom_source=sbom.source,
            about_artifact=about,
        )
        suppressed = [_as_evidence(s.finding, by=s.reason) for s in outcome.suppressed]
        return list(outcome.kept), suppressed, [unused.reason for unused in outcome.unused]

    def _ignore_entry(self, finding: VulnerabilityFinding) -> IgnoreEntry | None:
        names = {name.casefold() for name in (finding.vulnerability_id, *finding.aliases)}
        return next((e for e in self.spec.ignore if e.id.casefold() in names), None)

    def denies(self, finding: VulnerabilityFinding) -> str | None:
        """Why this finding fails the rule, or None."""
        if not finding.certain:
            if finding.source == "osv":
                return f"version could not be compared: {finding.detail}"
            return f"possible match: {finding.detail}" if self.spec.possible == "deny" else None
        if finding.known_exploited and self.spec.known_exploited == "deny":
            return "in CISA's Known Exploited Vulnerabilities catalog"
        if finding.severity is None:
            return "no CVSS score (unscored: deny)" if self.spec.unscored == "deny" else None
        return self._above_bar(finding.severity)

    def _above_bar(self, severity: SeverityBand) -> str | None:
        # `max_severity: none` denies every known vulnerability, as the schema says: a record
        # scored 0.0 (CVSS band "none") is still a published vulnerability of this version,
        # and only a person (an `ignore` entry) or the vendor (VEX) may set it aside.
        if self.spec.max_severity == "none" and severity == "none":
            return "scored 0.0, and max_severity none denies every known vulnerability"
        if SEVERITY_ORDER.index(severity) > SEVERITY_ORDER.index(self.spec.max_severity):
            return f"above max_severity {self.spec.max_severity}"
        return None

    def describe(self) -> str:
        parts = [f"no known vulnerability {self._bar()} in the SBOM's components"]
        if self.spec.max_db_age_days is not None:
            parts.append(f"vulnerability data at most {self.spec.max_db_age_days} days old")
        if self.spec.known_exploited == "deny":
            parts.append("none in CISA KEV")
        return "; ".join(parts)


class _Judged:
    """Step 4: the remaining findings split into denied (with why), warnings and tolerated."""

    def __init__(
        self, rule: VulnerabilitiesRequirement, remaining: list[VulnerabilityFinding]
    ) -> None:
        self.denied: list[tuple[VulnerabilityFinding, str]] = []
        self.warnings: list[VulnerabilityFinding] = []
        self.tolerated: list[VulnerabilityFinding] = []
        for finding in remaining:
            why = rule.denies(finding)
            if why is not None:
                self.denied.append((finding, why))
            elif not finding.certain:
                self.warnings.append(finding)
            else:
                self.tolerated.append(finding)


def _compile(spec: VulnerabilitiesSpec, _: Requirements) -> VulnerabilitiesRequirement:
    return VulnerabilitiesRequirement(spec)


RULE = RuleKind(VulnerabilitiesSpec, _compile)
